"""Which items to ask a person about first, so that their corrections teach the model most.

Typical items first: an item's typicality is its mean cosine similarity to its ``NEIGHBOURS``
nearest items in the same inbox, so a correction stands for many items like it. Among items about
as typical, the less certain first (``UNCERTAINTY_WEIGHT`` times the margin between the two best
kind scores is taken off). An item nearly the same as one ranked above it (similarity at least
``DUPLICATE_SIMILARITY``) comes after all the others: a second correction of the same thing
teaches little.

Chosen by measurement (``research/issue14-curve/choose.py``, on the learning curve's pool split):
50 corrections in this order lifted kind F1 as much as random ones for bug reports and more for
feature requests and questions, while the least certain items first (margin or entropy, with or
without near-duplicates dropped) lifted bug-report F1 less than random ones. On an unseen
community the shipped model is often sure and wrong for a whole kind: the uncertain items miss it.
Numpy only: the service's triage inbox uses it without loading any model.
"""

import numpy as np

NEIGHBOURS = 10
UNCERTAINTY_WEIGHT = 0.1
DUPLICATE_SIMILARITY = 0.9


def margins(scores: np.ndarray) -> np.ndarray:
    """The gap between each row's two best scores: small where the model hesitates."""
    top_two = -np.partition(-np.asarray(scores, dtype=np.float64), 1, axis=1)[:, :2]
    return top_two[:, 0] - top_two[:, 1]


def typicality(similarity: np.ndarray) -> np.ndarray:
    """Each item's mean similarity to its nearest others (zero for a lone item)."""
    count = min(NEIGHBOURS, len(similarity) - 1)
    if count < 1:
        return np.zeros(len(similarity))
    others = similarity.copy()
    np.fill_diagonal(others, -np.inf)
    return np.sort(others, axis=1)[:, -count:].mean(axis=1)


def teaching_order(scores: np.ndarray, vectors: np.ndarray | None = None) -> list[int]:
    """Row indices, the item whose correction teaches the model most first.

    Args:
        scores: one row of kind scores per item (as ``kind_scores``, in one class order).
        vectors: the items' L2-normalised embeddings; without them only the margin orders.

    Ties keep the given order (e.g. oldest first).
    """
    uncertainty = -UNCERTAINTY_WEIGHT * margins(scores)
    if vectors is None or len(uncertainty) < 2:
        return np.argsort(-uncertainty, kind="stable").tolist()
    vectors = np.asarray(vectors, dtype=np.float32)
    similarity = vectors @ vectors.T
    order = np.argsort(-(typicality(similarity) + uncertainty), kind="stable")
    similar = similarity[np.ix_(order, order)] >= DUPLICATE_SIMILARITY
    kept = np.zeros(len(order), dtype=bool)
    for position in range(len(order)):
        kept[position] = not similar[position, :position][kept[:position]].any()
    return np.concatenate([order[kept], order[~kept]]).tolist()
