"""Heads from datasets: `feedback-router train --datasets DIR` builds them from the seed sets and
a prepared datasets folder, calibrated and without the datasets' texts, into the package; a start
with the default model then reads them instead of training."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from classifiers import DEFAULT_MODEL, training
from classifiers.embedding import model_id
from classifiers.heads import CALIBRATED_CEILING, HeadSet
from classifiers.labeler import FeedbackLabeler, heads_cache
from classifiers.topics import EXAMPLE_FILE
from classifiers.training import DATASET_RECIPE, merge, seed_examples, shipped_heads
from feedback_router.cli import app

runner = CliRunner()
# A few made-up items per label for each dataset of the recipe, in the prepared folder's format.
LINES = {
    "other": ["Thanks, that did the trick {n}", "I'm on release 4.{n} on Linux"],
    "question": ["Where do I find setting number {n}?", "How can I export report {n}?"],
    "neutral": ["The meeting moved to room {n}", "Tweet number {n} about the weather"],
    "negative": ["This is awful, day {n} without a fix", "Worst update ever, version {n}"],
    "positive": ["Love it, best release {n} so far", "Great job on build {n}!"],
}
LABELS = {"kind": ("other", "question"), "sentiment": ("neutral", "negative", "positive")}


def write_datasets(root: Path) -> set[str]:
    """The recipe's datasets with made-up items; returns every text written."""
    written = set()
    for task, sources in DATASET_RECIPE.items():
        for name, _ in sources:
            rows = [
                {"text": f"{line.format(n=n)} ({name})", "label": label, "lang": "en", "source": name}
                for label in LABELS[task]
                for line in LINES[label]
                for n in range(3)
            ]
            (root / name).mkdir(parents=True)
            (root / name / "train.jsonl").write_text(
                "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
            )
            written |= {r["text"] for r in rows}
    return written


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, set[str], str]:  # type: ignore[no-untyped-def]
    """Heads built by `train --datasets` from made-up datasets: the file, their texts, the output."""
    tmp_path = tmp_path_factory.mktemp("built")
    folder = tmp_path / "datasets"
    dataset_texts = write_datasets(folder)
    out = tmp_path / "heads.npz"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(tmp_path / "home"))  # the embedding cache lives under it
        result = runner.invoke(app, ["train", "--datasets", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, dataset_texts, result.stdout


@pytest.fixture
def packaged(built, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    """The built heads where the package keeps them."""
    monkeypatch.setattr(training, "SHIPPED_HEADS", built[0])
    return built[0]


@pytest.mark.slow
def test_train_datasets_writes_calibrated_heads_that_keep_only_seed_evidence(built):
    out, dataset_texts, output = built
    assert f"written to {out}" in output
    heads = HeadSet.from_bytes(out.read_bytes())
    seeds = merge(seed_examples())
    assert heads.embedding_model == model_id(DEFAULT_MODEL)
    assert {task: c.method for task, c in heads.calibrations.items()} == {
        "kind": "platt",
        "sentiment": "platt",
        "abuse": "temperature",
    }
    per_dataset = {task: len(sources) * 6 * len(LABELS[task]) for task, sources in DATASET_RECIPE.items()}
    for task, bank in heads.banks.items():
        assert heads.info["examples"][task] == len(seeds[task]) + per_dataset.get(task, 0)
        assert set(bank.texts) == {text for text, _ in seeds[task]}  # evidence: our seeds only
        assert not set(bank.texts) & dataset_texts


def test_train_datasets_refuses_a_bad_folder_in_one_line(tmp_path):
    missing = one_line_error(runner.invoke(app, ["train", "--datasets", str(tmp_path / "nowhere")]))
    assert "does not exist" in missing and "datasets_prepare" in missing

    write_datasets(tmp_path / "partial")
    [(first, _), *_] = DATASET_RECIPE["sentiment"]
    (tmp_path / "partial" / first / "train.jsonl").unlink()
    assert f"{first}/train.jsonl is missing" in one_line_error(
        runner.invoke(app, ["train", "--datasets", str(tmp_path / "partial")])
    )

    write_datasets(tmp_path / "broken")
    [(first, _), *_] = DATASET_RECIPE["kind"]
    with (tmp_path / "broken" / first / "train.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "a kind we do not have", "label": "weather"}) + "\n")
    assert f"{first}/train.jsonl:13: needs a text and a label" in one_line_error(
        runner.invoke(app, ["train", "--datasets", str(tmp_path / "broken")])
    )


@pytest.mark.slow
def test_the_packaged_heads_load_small_with_calibrated_confidences_and_seed_evidence(packaged):
    heads = shipped_heads(model_id(DEFAULT_MODEL))
    assert heads is not None
    assert packaged.stat().st_size < 5_000_000
    assert {"kind", "sentiment", "abuse"} <= set(heads.calibrations)
    seeds = merge(seed_examples())
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(4, heads.heads["kind"].coef.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = ["It crashes on start", "Could you add a dark mode?", "Danke, hat geklappt", "Wo finde ich das?"]
    for task in ("kind", "sentiment", "abuse"):
        assert set(heads.banks[task].texts) == {text for text, _ in seeds[task]}
        for prediction in heads.predict(task, vectors, texts):
            assert 0.0 < prediction.confidence <= CALIBRATED_CEILING < 1.0
            assert all(0.0 < score <= CALIBRATED_CEILING for score in prediction.scores.values())
    assert shipped_heads("another-model@1.0") is None


@pytest.mark.slow
def test_a_start_with_the_default_model_reads_the_packaged_heads(tmp_path, monkeypatch, packaged):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    packaged = shipped_heads(model_id(DEFAULT_MODEL))
    assert packaged is not None

    plain = FeedbackLabeler(DEFAULT_MODEL)
    plain.warm_up()
    assert plain.heads is not None and plain.heads.version == packaged.version
    assert not heads_cache().exists()  # nothing was trained

    with_topics = FeedbackLabeler(DEFAULT_MODEL, topics_file=str(EXAMPLE_FILE))
    with_topics.warm_up()
    assert with_topics.heads is not None and "topic" in with_topics.heads.heads
    assert with_topics.heads.calibrations == packaged.calibrations
    assert with_topics.heads.version != packaged.version
    [cached] = heads_cache().glob("heads-*.npz")  # only the taxonomy's head was trained
    assert set(HeadSet.from_bytes(cached.read_bytes()).heads) == {"topic"}
