"""`feedback-router cluster FILE` with the packaged model on reports we wrote (tests/data)."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feedback_router.cli import app
from tests.cli_helpers import error_line

runner = CliRunner()
DATA = Path(__file__).parents[1] / "data" / "five_problems.jsonl"


@pytest.mark.slow
def test_cluster_writes_each_line_with_its_cluster_and_a_markdown_report(tmp_path, configure):
    configure(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    reports = shutil.copy(DATA, tmp_path / "reports.jsonl")

    result = runner.invoke(app, ["cluster", str(reports)])

    assert result.exit_code == 0, result.output
    assert "30 items in 5 clusters" in result.stdout
    rows = [json.loads(line) for line in (tmp_path / "reports.clusters.jsonl").read_text().splitlines()]
    by_problem: dict[str, set[int]] = {}
    for row in rows:
        by_problem.setdefault(row["problem"], set()).add(row["cluster"])
    assert all(len(clusters) == 1 for clusters in by_problem.values()), by_problem
    report = (tmp_path / "reports.clusters.md").read_text()
    assert report.count("\n## ") == 5 and "(6)" in report and "pdf" in report.lower()
    assert report.count("\n> ") == 15  # three quotes per cluster


def test_cluster_refuses_what_it_cannot_read_with_one_line(tmp_path, configure):
    configure(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert "is not a file" in error_line(runner.invoke(app, ["cluster", str(tmp_path / "nope.jsonl")]))
    odd = tmp_path / "reports.txt"
    odd.write_text("hello\n", encoding="utf-8")
    assert "cannot tell the format" in error_line(runner.invoke(app, ["cluster", str(odd)]))
