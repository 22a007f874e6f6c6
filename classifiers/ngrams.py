"""Words and word pairs of texts, TF-IDF weighted: a view of the words beside the embedding.

A sentence embedding blurs the few words that decide some labels ("crashes", "stürzt ab",
"pls add"); a logistic regression on n-grams sees them. The n-grams are hashed, so there is no
vocabulary to store: a fitted view keeps only the hashed columns its training texts had, with
their IDF weights, as two plain arrays. Character n-grams scored the same on our development
set (docs/decisions/0004) but cost six times as much, more than the embedding's 10 %.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

COLUMNS = 2**20  # hashed columns: collisions stay rare for tens of thousands of training texts


def hashed_counts(texts: Sequence[str]) -> sparse.csr_matrix:
    """Raw counts of words and word pairs (lowercased), one row per text."""
    from sklearn.feature_extraction.text import HashingVectorizer

    hashing = HashingVectorizer(ngram_range=(1, 2), n_features=COLUMNS, alternate_sign=False, norm=None)
    return hashing.transform(texts).tocsr()


@dataclass
class NgramView:
    """TF-IDF over the hashed n-gram columns seen in training (sublinear counts, rows L2-normalised).

    Attributes:
        columns: the hashed columns the training texts had, ascending.
        idf: their smoothed inverse document frequencies, as scikit-learn's ``TfidfTransformer``.
    """

    columns: np.ndarray
    idf: np.ndarray
    _position: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.columns = np.asarray(self.columns, dtype=np.int32)
        self.idf = np.asarray(self.idf, dtype=np.float32)
        # hashed column -> feature index, -1 for columns training never saw
        self._position = np.full(COLUMNS, -1, dtype=np.int32)
        self._position[self.columns] = np.arange(len(self.columns), dtype=np.int32)

    @classmethod
    def fit(cls, texts: Sequence[str]) -> "NgramView":
        counts = hashed_counts(texts)
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        columns = np.flatnonzero(document_frequency)
        idf = np.log((1 + len(texts)) / (1 + document_frequency[columns])) + 1
        return cls(columns, idf)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """One row per text over ``columns``; n-grams training never saw are left out."""
        counts = hashed_counts(texts)
        position = self._position[counts.indices]
        kept = position >= 0
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))[kept]
        values = (1.0 + np.log(counts.data[kept])) * self.idf[position[kept]]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=counts.shape[0]))
        values /= np.maximum(norms, 1e-12)[rows]  # rows L2-normalised
        return sparse.csr_matrix(
            (values.astype(np.float32), (rows, position[kept])), shape=(counts.shape[0], len(self.columns))
        )
