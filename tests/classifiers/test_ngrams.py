"""The n-gram view: TF-IDF over the hashed words and word pairs seen in training."""

import numpy as np

from classifiers.ngrams import NgramView


def test_rows_are_unit_length_and_unseen_ngrams_are_left_out():
    view = NgramView.fit(["the app crashes on start", "love the new design"])
    rows = view.transform(["the app crashes on start", "qqq zzz", ""])
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert np.allclose(norms, [1, 0, 0], atol=1e-5)
    assert rows.shape == (3, len(view.columns))


def test_word_pairs_count_beside_words():
    view = NgramView.fit(["does not work", "work is fine, does the job", "not bad"])
    [pair, words] = view.transform(["does not work", "work does not"]).toarray()
    assert 0.5 < pair @ words < 0.99  # the same words, but not the same word pairs


def test_rare_ngrams_weigh_more_than_common_ones():
    texts = ["the app works", "the app crashes", "the app is slow", "the app is fine"]
    view = NgramView.fit(texts)
    [row] = view.transform(["the app crashes"]).toarray()
    crashes = view.transform(["crashes"]).toarray()[0]
    the = view.transform(["the"]).toarray()[0]
    assert row @ crashes > row @ the
