"""A community's corrections adapt the shipped heads (classifiers.adapt) and the triage inbox asks
first about what teaches most (classifiers.teaching).

The texts and their vectors are made up here: three tight groups of points in a few dimensions,
so that what the heads learn is known without any embedding model.
"""

import numpy as np
import pytest

from classifiers.adapt import adapt
from classifiers.heads import HeadConfig, HeadSet, train_heads
from classifiers.teaching import margins, teaching_order

DIMENSIONS = 8
CENTRES = {"crash": 0, "how": 1, "love": 2, "invoice": 3}  # a direction per kind of text
WORDS = {
    "crash": "crashes on start",
    "how": "how do I export",
    "love": "love it thanks",
    "invoice": "invoice is wrong",
}


def vector(group: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(n * 10 + CENTRES[group])
    v = np.zeros(DIMENSIONS)
    v[CENTRES[group]] = 1.0
    v += rng.normal(0, 0.15, DIMENSIONS)
    return v / np.linalg.norm(v)


TEXTS = {f"{WORDS[group]} ({n})": vector(group, n) for group in CENTRES for n in range(40)}


def embed(texts: list[str]) -> np.ndarray:
    return np.array([TEXTS[t] for t in texts], dtype=np.float32)


def group_texts(group: str, numbers: range) -> list[str]:
    return [f"{WORDS[group]} ({n})" for n in numbers]


@pytest.fixture(scope="module")
def base() -> HeadSet:
    """Shipped heads that know crashes, questions and praise, but not invoices (they say criticism)."""
    examples = {
        "kind": [(t, "bug_report") for t in group_texts("crash", range(10))]
        + [(t, "question") for t in group_texts("how", range(10))]
        + [(t, "praise") for t in group_texts("love", range(10))]
        + [(t, "criticism") for t in group_texts("invoice", range(3))],
        "sentiment": [(t, "negative") for t in group_texts("crash", range(10))]
        + [(t, "positive") for t in group_texts("love", range(10))],
    }
    configs = {"kind": HeadConfig(mode="ovr", ngrams=True), "sentiment": HeadConfig()}
    return train_heads(examples, embed, embedding_model="made-up", configs=configs)


def labels(heads: HeadSet, texts: list[str]) -> list[str]:
    return [p.label for p in heads.predict("kind", embed(texts), texts)]


def test_corrections_move_predictions_and_leave_the_rest_as_it_was(base):
    held_out = group_texts("invoice", range(20, 40))
    assert set(labels(base, held_out)) == {"criticism"}
    corrections = {"kind": [(t, "bug_report") for t in group_texts("invoice", range(3, 15))]}

    adapted = adapt(base, corrections, embed)

    assert labels(adapted, held_out).count("bug_report") >= 18  # the community's view, on new texts
    for group, kind in (("crash", "bug_report"), ("how", "question"), ("love", "praise")):
        unrelated = group_texts(group, range(20, 40))
        assert set(labels(adapted, unrelated)) == {kind}
        before = np.array([p.confidence for p in base.predict("kind", embed(unrelated), unrelated)])
        after = np.array([p.confidence for p in adapted.predict("kind", embed(unrelated), unrelated)])
        assert np.abs(after - before).max() < 0.15  # held near the shipped weights
    assert adapted.heads["sentiment"] is base.heads["sentiment"]  # no corrections: untouched
    evidence = adapted.predict("kind", embed(held_out[:1]), held_out[:1])[0].evidence
    assert any(e["text"].startswith("invoice") and e["label"] == "bug_report" for e in evidence)


def test_the_version_follows_the_corrections_and_new_labels_get_a_class(base):
    one = adapt(base, {"kind": [(group_texts("invoice", range(5))[0], "bug_report")]}, embed)
    other = adapt(base, {"kind": [(group_texts("invoice", range(5))[0], "feature_request")]}, embed)
    again = adapt(base, {"kind": [(group_texts("invoice", range(5))[0], "bug_report")]}, embed)

    assert len({base.version, one.version, other.version}) == 3 and again.version == one.version
    assert "feature_request" in other.heads["kind"].classes  # unknown to the base heads
    assert other.heads["kind"].classes == other.ngrams["kind"].head.classes
    restored = HeadSet.from_bytes(other.to_bytes())
    texts = group_texts("how", range(30, 35))
    assert labels(restored, texts) == labels(other, texts) == ["question"] * 5


def unit(rows: list[list[float]]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


SURE, UNSURE = [0.9, 0.1, 0.0], [0.5, 0.45, 0.1]


def test_the_less_certain_of_two_alike_items_comes_first_and_near_duplicates_later():
    assert margins(np.array([SURE, UNSURE])) == pytest.approx([0.8, 0.05])
    # two unrelated items, equally typical: the uncertain one first, with or without vectors
    assert teaching_order(np.array([SURE, UNSURE]), unit([[1, 0, 0], [0, 1, 0]])) == [1, 0]
    assert teaching_order(np.array([SURE, UNSURE])) == [1, 0]
    # item 1 nearly repeats item 0: it follows the confident item 2
    scores = np.array([UNSURE, UNSURE, SURE])
    assert teaching_order(scores, unit([[1, 0, 0], [1, 0.1, 0], [0, 0, 1]])) == [0, 2, 1]
    assert teaching_order(scores[:1], unit([[1, 0, 0]])) == [0]


def test_items_like_many_others_come_before_an_unsure_outlier():
    # three alike (similarity 0.7: not near-duplicates) and one unlike anything, which is unsure
    cluster = [[1, 0.8, 0, 0], [1, 0, 0.8, 0], [1, -0.4, -0.4, 0]]
    vectors = unit([*cluster, [0, 0, 0, 1]])
    assert (vectors[:3] @ vectors[:3].T)[np.triu_indices(3, 1)].max() < 0.9

    assert teaching_order(np.array([SURE, SURE, SURE, UNSURE]), vectors)[-1] == 3
