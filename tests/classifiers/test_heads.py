"""Heads on embeddings: training, scores, evidence and the byte round trip of a model version."""

import io
import json

import numpy as np
import pytest

from classifiers.evaluation.metrics import expected_calibration_error
from classifiers.heads import HeadConfig, HeadSet, fit_calibration, train_head, train_heads


def clusters(labels: list[str], per_label: int = 20, dim: int = 16, seed: int = 0):
    """Unit vectors around one random centre per label."""
    rng = np.random.default_rng(seed)
    centres = {label: rng.normal(size=dim) for label in labels}
    vectors, names = [], []
    for label in labels:
        points = centres[label] + 0.3 * rng.normal(size=(per_label, dim))
        vectors.append(points)
        names += [label] * per_label
    stacked = np.vstack(vectors)
    return stacked / np.linalg.norm(stacked, axis=1, keepdims=True), names, centres


def test_softmax_head_separates_clusters_and_scores_sum_to_one():
    vectors, labels, _ = clusters(["a", "b", "c"])
    head = train_head(vectors, labels)
    scores = head.scores(vectors)
    assert np.allclose(scores.sum(axis=1), 1, atol=1e-5)
    assert [head.classes[i] for i in scores.argmax(axis=1)] == labels


def test_binary_head_is_a_softmax_pair():
    vectors, labels, _ = clusters(["ok", "abusive"])
    head = train_head(vectors, labels)
    assert head.coef.shape[0] == 2 and head.classes == ["abusive", "ok"]
    assert [head.classes[i] for i in head.scores(vectors).argmax(axis=1)] == labels


def test_ovr_scores_are_independent_so_two_can_be_high():
    vectors, labels, centres = clusters(["praise", "bug_report", "question"])
    head = train_head(vectors, labels, HeadConfig(mode="ovr"))
    mixed = centres["praise"] / np.linalg.norm(centres["praise"]) + centres["bug_report"] / np.linalg.norm(
        centres["bug_report"]
    )
    scores = dict(zip(head.classes, head.scores((mixed / np.linalg.norm(mixed))[None, :])[0], strict=True))
    assert scores["question"] < min(scores["praise"], scores["bug_report"])
    assert sum(scores.values()) > 1  # not a distribution: each score stands on its own


def test_a_head_needs_two_labels():
    vectors, labels, _ = clusters(["only"])
    with pytest.raises(ValueError, match="at least two labels"):
        train_head(vectors, labels)


def fake_embed(lookup: dict[str, np.ndarray]):
    return lambda texts: np.stack([lookup[t] for t in texts])


def test_head_set_predicts_with_nearest_examples_and_survives_bytes():
    vectors, labels, _ = clusters(["negative", "neutral", "positive"], per_label=10)
    texts = [f"{label} example {i}" for i, label in enumerate(labels)]
    embed = fake_embed(dict(zip(texts, vectors, strict=True)))
    heads = train_heads(
        {"sentiment": list(zip(texts, labels, strict=True))},
        embed,
        embedding_model="test-model",
        configs={"sentiment": HeadConfig(balanced=True)},
    )
    [prediction] = heads.predict("sentiment", vectors[:1])
    assert prediction.label == "negative"
    assert prediction.evidence[0]["text"] == texts[0]  # the example itself is nearest
    sims = [e["similarity"] for e in prediction.evidence]
    assert sims == sorted(sims, reverse=True) and len(sims) == 3

    restored = HeadSet.from_bytes(heads.to_bytes())
    assert restored.version == heads.version and restored.embedding_model == "test-model"
    assert restored.info == {"examples": {"sentiment": 30}}
    assert restored.predict("sentiment", vectors[:5]) == heads.predict("sentiment", vectors[:5])


def test_version_changes_with_the_examples_and_not_otherwise():
    vectors, labels, _ = clusters(["x", "y"], per_label=5)
    texts = [f"t{i}" for i in range(len(labels))]
    embed = fake_embed(dict(zip(texts, vectors, strict=True)))
    pairs = list(zip(texts, labels, strict=True))
    first = train_heads({"abuse": pairs}, embed, embedding_model="m", configs={})
    again = train_heads({"abuse": pairs}, embed, embedding_model="m", configs={})
    fewer = train_heads({"abuse": pairs[1:]}, embed, embedding_model="m", configs={})
    assert first.version == again.version != fewer.version


def test_weighted_examples_outvote_more_numerous_ones_and_change_the_version():
    vectors, labels, centres = clusters(["x", "y"], per_label=10)
    middle = (centres["x"] + centres["y"]) / np.linalg.norm(centres["x"] + centres["y"])
    texts = [f"t{i}" for i in range(len(labels))]
    contested = [("ours", "x"), ("theirs 1", "y"), ("theirs 2", "y"), ("theirs 3", "y")]
    embed = fake_embed(dict(zip(texts, vectors, strict=True)) | {t: middle for t, _ in contested})
    pairs = list(zip(texts, labels, strict=True)) + contested
    configs = {"sentiment": HeadConfig(calibration="temperature")}  # the held-out folds weigh too

    def label_of_the_middle(weights):
        heads = train_heads(
            {"sentiment": pairs}, embed, embedding_model="m", configs=configs, weights=weights
        )
        [prediction] = heads.predict("sentiment", middle[None, :])
        return prediction.label, heads.version

    plain, plain_version = label_of_the_middle(None)
    weighted, weighted_version = label_of_the_middle({"sentiment": {"ours": 10.0}})
    assert (plain, weighted) == ("y", "x")
    assert plain_version != weighted_version


def word_decides(count: int = 40):
    """Texts whose label is one word, with embeddings that are pure noise."""
    rng = np.random.default_rng(1)
    words = {"bug_report": ["crashes", "stürzt"], "praise": ["lovely", "großartig"]}
    texts, labels = [], []
    for i in range(count):
        label = "bug_report" if i % 2 else "praise"
        texts.append(f"the app {words[label][i % 4 // 2]} every time, entry {i}")
        labels.append(label)
    noise = rng.normal(size=(count, 16))
    return texts, labels, noise / np.linalg.norm(noise, axis=1, keepdims=True)


def test_an_ngram_head_reads_the_words_the_embedding_misses_and_survives_bytes():
    texts, labels, vectors = word_decides()
    embed = fake_embed(dict(zip(texts, vectors, strict=True)))
    pairs = list(zip(texts, labels, strict=True))
    config = HeadConfig(mode="ovr", ngrams=True)
    heads = train_heads({"kind": pairs}, embed, embedding_model="m", configs={"kind": config})
    plain = train_heads({"kind": pairs}, embed, embedding_model="m", configs={"kind": HeadConfig(mode="ovr")})
    new = ["my phone: the app crashes when I log in", "lovely colours", "stürzt ab beim Start", "großartig!"]
    rng = np.random.default_rng(2)
    unseen = rng.normal(size=(len(new), 16))
    unseen /= np.linalg.norm(unseen, axis=1, keepdims=True)
    assert [p.label for p in heads.predict("kind", unseen, new)] == ["bug_report", "praise"] * 2
    assert heads.version != plain.version  # the config is part of the version

    restored = HeadSet.from_bytes(heads.to_bytes())
    assert restored.predict("kind", unseen, new) == heads.predict("kind", unseen, new)
    with pytest.raises(ValueError, match="pass them"):
        restored.predict("kind", unseen)


def noisy_clusters(seed: int = 3):
    """Overlapping clusters: a head trained on them is sure of itself more often than right."""
    vectors, labels, _ = clusters(["negative", "neutral", "positive"], per_label=80, seed=seed)
    rng = np.random.default_rng(seed)
    noisy = vectors + 0.6 * rng.normal(size=vectors.shape)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True), labels


@pytest.mark.parametrize(
    ("config", "method"),
    [
        (HeadConfig(C=100.0, calibration="temperature"), "temperature"),
        (
            HeadConfig(
                C=100.0, calibration="platt", priors=(("neutral", 0.6), ("negative", 0.2), ("positive", 0.2))
            ),
            "platt",
        ),
        (HeadConfig(mode="ovr", C=100.0, ngrams=True, calibration="platt"), "platt"),
    ],
)
def test_calibrated_confidences_lie_in_0_1_and_survive_bytes(config, method):
    vectors, labels = noisy_clusters()
    texts = [f"text {i}" for i in range(len(labels))]  # the words say nothing of the label
    pairs = list(zip(texts, labels, strict=True))
    embed = fake_embed(dict(zip(texts, vectors, strict=True)))
    heads = train_heads({"sentiment": pairs}, embed, embedding_model="m", configs={"sentiment": config})
    assert heads.calibrations["sentiment"].method == method

    predictions = heads.predict("sentiment", vectors, texts)
    assert all(0.0 <= p.confidence <= 1.0 for p in predictions)
    restored = HeadSet.from_bytes(heads.to_bytes())
    assert restored.calibrations == heads.calibrations
    assert restored.predict("sentiment", vectors, texts) == predictions


@pytest.mark.parametrize("method", ["temperature", "platt"])
def test_a_calibration_undoes_overconfidence(method):
    # Labels drawn from known probabilities; the scores state them three times too sharply.
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=1.5, size=(3000, 3))
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = ["negative", "neutral", "positive"]
    labels = [classes[rng.choice(3, p=row)] for row in truth]
    sharp = np.exp(3 * logits) / np.exp(3 * logits).sum(axis=1, keepdims=True)

    def ece(scores):
        best = scores.argmax(axis=1)
        right = [classes[b] == label for b, label in zip(best, labels, strict=True)]
        return expected_calibration_error(scores[np.arange(len(best)), best].tolist(), right)

    calibration = fit_calibration(method, sharp[:2000], labels[:2000], classes, normalise=True)
    held_out = sharp[2000:]
    labels = labels[2000:]
    assert ece(calibration.apply(held_out)) < ece(held_out) / 2
    if method == "temperature":
        assert calibration.slope[0] == pytest.approx(1 / 3, abs=0.05)


def test_priors_move_the_calibrated_scores_towards_the_prior():
    vectors, labels = noisy_clusters()
    texts = [f"text {i}" for i in range(len(labels))]  # the words say nothing of the label
    pairs = list(zip(texts, labels, strict=True))
    embed = fake_embed(dict(zip(texts, vectors, strict=True)))

    def neutral_share(priors):
        config = HeadConfig(C=100.0, calibration="platt", priors=priors)
        heads = train_heads({"sentiment": pairs}, embed, embedding_model="m", configs={"sentiment": config})
        return np.mean([p.scores["neutral"] for p in heads.predict("sentiment", vectors, texts)])

    even = (("neutral", 1 / 3), ("negative", 1 / 3), ("positive", 1 / 3))
    assert neutral_share((("neutral", 0.8), ("negative", 0.1), ("positive", 0.1))) > neutral_share(even) + 0.1


def test_a_file_written_before_calibration_still_loads():
    vectors, labels, _ = clusters(["ok", "abusive"], per_label=10)
    texts = [f"text {i}" for i in range(len(labels))]
    heads = train_heads(
        {"abuse": list(zip(texts, labels, strict=True))},
        fake_embed(dict(zip(texts, vectors, strict=True))),
        embedding_model="m",
        configs={},
    )
    # The meta of a file from before calibration: no "calibrations" entry at all.
    with np.load(io.BytesIO(heads.to_bytes()), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(arrays.pop("meta").tobytes().decode())
    del meta["calibrations"]
    old = io.BytesIO()
    np.savez_compressed(old, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)

    restored = HeadSet.from_bytes(old.getvalue())
    assert restored.calibrations == {}
    assert restored.predict("abuse", vectors) == heads.predict("abuse", vectors)
