"""The kind, sentiment and abuse seed sets: they parse, use known labels, are balanced and unique."""

import json
from collections import Counter
from pathlib import Path

import pytest

from classifiers.labels import KINDS
from classifiers.language import detect_language
from classifiers.training import SEED_FILES

DATA = Path(__file__).parents[2] / "classifiers" / "data"
SEED_SETS = {
    # file: (label field, labels, least examples per label and language)
    "seed_sentiment.jsonl": ("sentiment", ("negative", "neutral", "positive"), 40),
    "seed_sentiment_complaints.jsonl": ("sentiment", ("negative", "neutral"), 6),
    "seed_abuse.jsonl": ("abuse", ("abusive", "ok"), 60),
}


def read(name: str) -> list[dict[str, str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("name", SEED_SETS)
def test_every_line_has_text_label_and_language(name):
    field, labels, _ = SEED_SETS[name]
    for number, example in enumerate(read(name), start=1):
        assert set(example) <= {"text", field, "language", "note"}, number
        assert example["text"] and example["text"] == example["text"].strip(), number
        assert example[field] in labels, number
        assert example["language"] in ("en", "de"), number


@pytest.mark.parametrize("name", SEED_SETS)
def test_each_label_has_enough_examples_in_each_language(name):
    field, labels, least = SEED_SETS[name]
    counts = Counter((e[field], e["language"]) for e in read(name))
    for label in labels:
        for language in ("en", "de"):
            assert counts[label, language] >= least, (label, language, counts[label, language])


@pytest.mark.parametrize("name", SEED_SETS)
def test_no_text_appears_twice(name):
    texts = [e["text"].casefold() for e in read(name)]
    assert [t for t, n in Counter(texts).items() if n > 1] == []


@pytest.mark.parametrize("name", SEED_SETS)
def test_the_language_field_agrees_with_the_language_detector(name):
    examples = read(name)
    disagreements = [e["text"] for e in examples if detect_language(e["text"]).code != e["language"]]
    assert len(disagreements) <= len(examples) // 50, (
        disagreements
    )  # measured: 1 of 518 ("Halt's Maul, du Depp.")


def test_borderline_swearing_about_the_product_is_ok_and_says_so():
    noted = [e for e in read("seed_abuse.jsonl") if "note" in e]
    assert noted and all(e["abuse"] == "ok" and e["note"].startswith("borderline") for e in noted)
    assert {e["language"] for e in noted} == {"en", "de"}


def test_the_kind_seeds_have_40_of_each_kind_in_each_language_and_no_repeats():
    examples = [e for path in SEED_FILES["kind"][0] for e in read(path.name)]
    for number, example in enumerate(examples, start=1):
        assert set(example) == {"text", "kind", "language"}, number
        assert example["kind"] in KINDS and example["language"] in ("en", "de"), number
    counts = Counter((e["kind"], e["language"]) for e in examples)
    assert min(counts[kind, language] for kind in KINDS for language in ("en", "de")) >= 40, counts
    texts = [e["text"].casefold() for e in examples]
    assert [t for t, n in Counter(texts).items() if n > 1] == []
