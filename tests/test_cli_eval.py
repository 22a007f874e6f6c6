"""`feedback-router eval` on a tiny datasets folder written by the tests."""

import json

import pytest
from typer.testing import CliRunner

from feedback_router.cli import app
from tests.classifiers.fake_datasets import write_fake_datasets
from tests.cli_helpers import error_line

runner = CliRunner()


@pytest.mark.slow
def test_eval_prints_the_table_and_writes_json(tmp_path):
    datasets = write_fake_datasets(tmp_path / "datasets")
    out = tmp_path / "results.json"
    args = ["eval", "--datasets", str(datasets), "--json", str(out), "--cache-dir", str(tmp_path / "cache")]
    args += ["--model", "use-multilingual", "--task", "banking77-f*", "--task", "germeval-coarse"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    for heading in ("task", "metric", "model", "heads", "ours", "published", "bar", "met?"):
        assert heading in result.stdout
    for task in ("banking77-full", "banking77-fewshot", "germeval-coarse"):
        assert task in result.stdout
    assert "69.15 (best 76.77)" in result.stdout and "wall time" in result.stdout
    assert "use-multilingual: embedded " in result.stdout and "texts/s" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    tasks = ["banking77-full", "banking77-fewshot", "germeval-coarse"]
    assert [(r["task"], r["model"]) for r in data["results"]] == [
        *((task, "use-multilingual") for task in tasks),
        *((task, "project") for task in tasks),
    ]
    assert data["results"][0]["bar"] == 93.5 and data["results"][2]["published"] == 69.15
    assert data["results"][0]["heads"] == "plain LR" and data["results"][3]["heads"] == "LR(cat, C=10)"
    assert data["models"]["use-multilingual"]["texts_per_second"] > 0

    again = runner.invoke(app, args)  # cached: embeds nothing

    assert again.exit_code == 0, again.output
    assert "use-multilingual: embedded nothing" in again.stdout
    assert "all-MiniLM-L6-v2: embedded nothing" in again.stdout  # the recipes read both models


def test_eval_without_a_datasets_folder_says_how_to_give_one(tmp_path):
    assert error_line(runner.invoke(app, ["eval"])) == "error: no datasets folder given: pass --datasets DIR"
    line = error_line(runner.invoke(app, ["eval", "--datasets", str(tmp_path / "nope")]))
    assert "does not exist: pass --datasets DIR" in line


def test_eval_on_a_folder_without_the_files_names_the_first_missing_one(tmp_path):
    line = error_line(runner.invoke(app, ["eval", "--datasets", str(tmp_path), "--cache-dir", str(tmp_path)]))
    assert line == f"error: dataset file {tmp_path}/banking77/train.csv is missing"


def test_eval_refuses_unknown_tasks_and_models(tmp_path):
    datasets = write_fake_datasets(tmp_path / "datasets")
    line = error_line(runner.invoke(app, ["eval", "--datasets", str(datasets), "--task", "nope"]))
    assert "no task matches 'nope'" in line
    line = error_line(runner.invoke(app, ["eval", "--datasets", str(datasets), "--model", "nope"]))
    assert "all-MiniLM-L6-v2, use-multilingual" in line


@pytest.mark.slow
def test_eval_learning_curve_gives_rows_for_each_number_of_corrections(tmp_path):
    datasets = write_fake_datasets(tmp_path / "datasets")
    out = tmp_path / "curve.json"
    args = ["eval", "--datasets", str(datasets), "--json", str(out), "--cache-dir", str(tmp_path / "cache")]
    args += ["--model", "use-multilingual", "--task", "learning-curve"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "Learning curve with use-multilingual" in result.stdout
    assert "bug_report F1 gain at N = 50: " in result.stdout and "in triage order" in result.stdout
    [row, project] = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert (row["task"], project["model"]) == ("learning-curve", "project")
    rows = row["details"]["rows"]
    assert [(r["order"], r["corrections"]) for r in rows] == [
        (order, n) for order in ("triage", "random") for n in (0, 25, 50, 100, 200)
    ]
    assert all(0 <= r["f1"]["bug_report"] <= 1 for r in rows) and row["details"]["draws"] == 5
    gains = row["details"]["bug_report_gain_at_50"]
    assert (
        row["score"]
        == gains["triage"]
        == pytest.approx(rows[2]["f1"]["bug_report"] - rows[0]["f1"]["bug_report"], abs=1e-3)
    )


def test_eval_learning_curve_without_its_pool_says_which_file_is_missing(tmp_path):
    datasets = write_fake_datasets(tmp_path / "datasets")
    (datasets / "nlbse2024_issues" / "train.jsonl").unlink()
    args = [
        "eval",
        "--datasets",
        str(datasets),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--task",
        "learning-curve",
    ]

    result = runner.invoke(app, args)

    assert result.exit_code == 2
    assert error_line(result) == f"error: dataset file {datasets}/nlbse2024_issues/train.jsonl is missing"
