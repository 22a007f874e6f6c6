"""The Haystack pipeline with the packaged model: labels, evidence, YAML round trip, model errors."""

import json

import numpy as np
import pytest

from classifiers import KINDS, FeedbackClassifier, ModelNotFoundError, build_pipeline, load_pipeline
from classifiers.kind import SEED_FILE, load_seed


@pytest.fixture(scope="module")
def classifier() -> FeedbackClassifier:
    return FeedbackClassifier.from_model()


def test_seed_set_has_40_examples_per_kind_in_english_and_german():
    seed = [json.loads(line) for line in SEED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    for kind in KINDS:
        for language in ("en", "de"):
            assert sum(e["kind"] == kind and e["language"] == language for e in seed) >= 20, (kind, language)
    assert len({e["text"] for e in seed}) == len(seed)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The app crashes every time I try to export my notes to PDF.", "bug_report"),
        ("How do I change the email address on my account?", "question"),
        ("Please add a dark mode, my eyes would thank you.", "feature_request"),
        ("You are all idiots and your product is garbage.", "abuse"),
    ],
)
def test_clear_texts_get_their_kind(classifier, text, kind):
    [result] = classifier.classify([text])
    assert result.kind == kind
    assert result.confidence == max(result.scores.values())
    assert set(result.scores) == set(KINDS)
    assert abs(sum(result.scores.values()) - 1) < 1e-3


def test_result_carries_normalised_embedding_evidence_and_version(classifier):
    [result] = classifier.classify(["Where can I download my invoices?"])
    assert len(result.embedding) == 384
    assert abs(np.linalg.norm(result.embedding) - 1) < 1e-3
    assert len(result.evidence) == 3
    assert all(e["kind"] in KINDS and -1 <= e["similarity"] <= 1 for e in result.evidence)
    sims = [e["similarity"] for e in result.evidence]
    assert sims == sorted(sims, reverse=True)
    assert result.model_version.startswith("kind-lr-")


def test_batch_results_keep_input_order(classifier):
    texts = ["Thanks, the new update is wonderful!", "How do I reset my password?"] * 40
    kinds = [r.kind for r in classifier.classify(texts)]
    assert kinds[:2] == ["praise", "question"] and kinds == kinds[:2] * 40


def test_pipeline_round_trips_through_yaml(classifier):
    yaml_text = build_pipeline().dumps()
    restored = FeedbackClassifier(load_pipeline(yaml_text))
    text = ["The checkout button does nothing on iOS 18."]
    assert restored.classify(text)[0].scores == classifier.classify(text)[0].scores


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        build_pipeline(str(tmp_path / "nope"))
    with pytest.raises(ModelNotFoundError, match="not a sentence-transformers model folder"):
        build_pipeline(str(tmp_path))


def test_bad_seed_line_names_the_line(tmp_path):
    seed = tmp_path / "seed.jsonl"
    seed.write_text('{"text": "fine", "kind": "praise"}\n{"text": "x", "kind": "rant"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="seed.jsonl:2"):
        load_seed(seed)
