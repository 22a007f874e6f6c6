"""The Haystack pipeline with the packaged model: every label, evidence, parts, YAML round trip."""

import numpy as np
import pytest

from classifiers import (
    DEFAULT_MODEL,
    KINDS,
    MODELS,
    FeedbackClassifier,
    ModelNotFoundError,
    build_pipeline,
    load_pipeline,
)
from classifiers.labels import SENTIMENTS
from classifiers.topics import EXAMPLE_FILE
from classifiers.training import load_jsonl, seed_examples


@pytest.fixture(scope="module")
def classifier() -> FeedbackClassifier:
    return FeedbackClassifier.from_model(topics_file=str(EXAMPLE_FILE))


def test_seed_sets_have_at_least_40_examples_per_label_in_english_and_german():
    import json

    from classifiers.training import SEED_FILES

    for task, (paths, field, allowed) in SEED_FILES.items():
        rows = [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
        for label in allowed:
            for language in ("en", "de"):
                count = sum(r[field] == label and r["language"] == language for r in rows)
                assert count >= 20, (task, label, language, count)
            assert sum(r[field] == label for r in rows) >= 40, (task, label)
        texts = [r["text"] for r in rows]
        assert len(set(texts)) == len(texts), task
    assert {task: len(pairs) >= 240 for task, pairs in seed_examples().items()} == dict.fromkeys(
        SEED_FILES, True
    )


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
    assert all(0 <= s <= 1 for s in result.scores.values())


def test_every_label_is_given_with_confidence_and_evidence(classifier):
    [result] = classifier.classify(
        ["I was charged twice for my subscription and nobody answers, I want a refund!"]
    )
    assert result.sentiment in SENTIMENTS and result.sentiment == "negative"
    assert 0 < result.sentiment_confidence <= 1
    assert result.abuse is False and 0 <= result.abuse_confidence < 0.5
    assert result.topic == "billing" and result.topic_confidence >= 0.5
    assert result.language == "en" and result.language_confidence > 0.5
    assert result.urgency in ("normal", "high")
    assert "payment" in {s["signal"] for s in result.urgency_signals}
    assert set(result.other_evidence) == {"sentiment", "abuse", "topic"}
    assert len(result.embedding) == MODELS[DEFAULT_MODEL].dimensions
    assert abs(np.linalg.norm(result.embedding) - 1) < 1e-3
    assert len(result.evidence) == 3 and all(e["label"] in KINDS for e in result.evidence)
    sims = [e["similarity"] for e in result.evidence]
    assert sims == sorted(sims, reverse=True)
    assert result.model_version.startswith("heads-")


def test_german_feedback_is_recognised_as_german(classifier):
    [result] = classifier.classify(["Seit dem letzten Update stürzt die App beim Öffnen ständig ab."])
    assert result.language == "de"


def test_a_language_the_author_gave_is_kept(classifier):
    [result] = classifier.classify(["ok"], languages=["de-AT"])
    assert (result.language, result.language_confidence) == ("de", 1.0)


def test_mixed_message_is_split_into_parts_with_spans(classifier):
    text = (
        "Love the new editor, it is beautiful! The export to PDF crashes every time. "
        "How do I get my old drafts back?"
    )
    [result] = classifier.classify([text])
    kinds = [p.labels.kind for p in result.parts]
    assert len(kinds) >= 2 and len(set(kinds)) == len(kinds) or kinds == []
    for part in result.parts:
        assert text[part.start : part.end].strip()
    assert kinds[:2] == ["praise", "bug_report"]


def test_single_topic_text_is_not_split(classifier):
    [result] = classifier.classify(["The app crashes on start. It crashes again after reinstalling."])
    assert result.parts == []


def test_batch_results_keep_input_order(classifier):
    texts = ["Thanks, the new update is wonderful!", "How do I reset my password?"] * 40
    kinds = [r.kind for r in classifier.classify(texts)]
    assert kinds[:2] == ["praise", "question"] and kinds == kinds[:2] * 40


def test_pipeline_round_trips_through_yaml(classifier):
    yaml_text = build_pipeline(topics_file=str(EXAMPLE_FILE)).dumps()
    restored = FeedbackClassifier(load_pipeline(yaml_text))
    text = ["The checkout button does nothing on iOS 18."]
    assert restored.classify(text)[0].to_dict() == classifier.classify(text)[0].to_dict()


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        build_pipeline(str(tmp_path / "nope"))


def test_bad_seed_line_names_the_line(tmp_path):
    seed = tmp_path / "seed.jsonl"
    seed.write_text('{"text": "fine", "kind": "praise"}\n{"text": "x", "kind": "rant"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="seed.jsonl:2"):
        load_jsonl(seed, "kind", KINDS)
