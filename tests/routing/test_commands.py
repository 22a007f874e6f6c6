"""feedback-router routes check and feedback-router route --explain."""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feedback_router.cli import app
from feedback_router.config import get_settings
from tests.cli_helpers import error_line
from tests.routing.helpers import TWO_TEAMS, write

runner = CliRunner()


@pytest.fixture
def own_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No FEEDBACK_ROUTER_* from outside; a SQLite file of this test's own, never migrated."""
    for name in list(os.environ):
        if name.startswith("FEEDBACK_ROUTER_"):
            monkeypatch.delenv(name)
    db = tmp_path / "own.db"
    monkeypatch.setenv("FEEDBACK_ROUTER_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("FEEDBACK_ROUTER_AUTO_MIGRATE", "false")
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


# --- routes check -----------------------------------------------------------------------------


def test_routes_check_passes_a_valid_file(own_settings, tmp_path):
    result = runner.invoke(app, ["routes", "check", str(write(tmp_path / "routes.yaml", TWO_TEAMS))])

    assert result.exit_code == 0, result.output
    assert result.stdout == "1 rule, 2 teams: ok\n"


def test_routes_check_without_a_file_checks_the_one_in_force(own_settings, monkeypatch, tmp_path):
    assert runner.invoke(app, ["routes", "check"]).stdout == "6 rules, 4 teams: ok\n"  # the packaged one

    monkeypatch.setenv("FEEDBACK_ROUTER_ROUTING_FILE", str(write(tmp_path / "mine.yaml", TWO_TEAMS)))
    get_settings.cache_clear()
    assert runner.invoke(app, ["routes", "check"]).stdout == "1 rule, 2 teams: ok\n"


def test_routes_check_prints_each_problem_with_its_line_and_exits_2(own_settings, tmp_path):
    broken = TWO_TEAMS.replace("team: product", "team: sales").replace("kind: bug_report", "kind: bug")
    path = write(
        tmp_path / "routes.yaml", broken.replace("{type: board}]}\n  support", "{type: jira}]}\n  support")
    )

    result = runner.invoke(app, ["routes", "check", str(path)])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:3: teams.product.sinks.0.project: Field required",
        f"{path}:7: rules.0.when.kind: Value error, unknown kind 'bug'; known: praise, criticism, question, "
        "bug_report, feature_request, abuse, other",
    ]
    # Once those are fixed, the team the rule names is checked.
    write(path, TWO_TEAMS.replace("team: product", "team: sales"))
    again = runner.invoke(app, ["routes", "check", str(path)])
    assert again.exit_code == 2
    assert (
        again.stderr
        == f"{path}:8: rules.0.team: team 'sales' is not declared under teams (product, support)\n"
    )


def test_routes_check_of_a_missing_file_is_one_error_line(own_settings, tmp_path):
    line = error_line(runner.invoke(app, ["routes", "check", str(tmp_path / "none.yaml")]))

    assert line == f"error: routing file {tmp_path / 'none.yaml'} cannot be read: No such file or directory"


@pytest.mark.parametrize(
    ("command", "expected"),
    [(["routes", "check"], "file:line: path: reason"), (["route"], "--explain"), (["route"], "--rules")],
)
def test_help(own_settings, command, expected):
    result = runner.invoke(app, [*command, "--help"])

    assert result.exit_code == 0 and expected in result.stdout


def test_route_refuses_a_broken_rules_file_before_loading_the_model(own_settings, tmp_path):
    path = write(tmp_path / "routes.yaml", TWO_TEAMS.replace("team: product", "team: sales"))

    line = error_line(runner.invoke(app, ["route", "--explain", "hello", "--rules", str(path)]))

    assert line.startswith(f"error: {path}:8: rules.0.team: team 'sales'")


def test_route_refuses_bad_metadata(own_settings):
    assert "--meta takes KEY=VALUE, not 'vip'" in error_line(
        runner.invoke(app, ["route", "--explain", "hello", "--meta", "vip"])
    )


# --- route --explain, with the real packaged model ---------------------------------------------

BUG = "The app crashes with an error every time I tap the export button on Android 14."


@pytest.mark.slow
def test_route_explain_shows_labels_each_rule_tried_and_the_team(own_settings):
    result = runner.invoke(app, ["route", "--explain", BUG])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(r"labels  kind bug_report, confidence (0\.9\d|1\.00),", lines[0]), lines[0]
    assert "abuse false" in lines[0] and "language en" in lines[0] and "source api" in lines[0]
    assert lines[1:7] == [
        "rules   ✗ urgent-to-support: urgency is low, rule wants at least high",
        "        ✗ abuse-to-moderation: abuse is false, rule wants true",
        "        ✗ abusive-kind-to-moderation: kind is bug_report, rule wants abuse",
        "        ✗ questions-to-support: kind is bug_report, rule wants question",
        lines[5],
        "team    product (rule product-issues)",
    ]
    assert re.match(r"        ✓ product-issues: kind bug_report, kind confidence (0\.9\d|1\.00) ≥", lines[5])
    assert lines[7].startswith("reason  rule 'product-issues' matched: kind bug_report")
    assert lines[8] == "sinks   board"


@pytest.mark.slow
def test_route_explain_json_is_the_apis_explanation_with_a_file_and_metadata(own_settings, tmp_path):
    vip_first = TWO_TEAMS.replace(
        "rules:\n",
        "rules:\n  - {name: vip, when: {author: {vip: true}, min_confidence: 0}, team: support}\n",
    )
    path = write(tmp_path / "routes.yaml", vip_first)
    args = ["route", "--explain", BUG, "--rules", str(path), "--json"]

    plain = json.loads(runner.invoke(app, args).stdout)
    vip = json.loads(runner.invoke(app, [*args, "--meta", "vip=true", "--source", "forum"]).stdout)

    assert set(plain) == {"text", "team", "rule", "reason", "labels", "rules", "sinks", "parts"}
    assert (plain["text"], plain["team"], plain["rule"], plain["parts"]) == (
        BUG,
        "product",
        "bugs-to-product",
        [],
    )
    assert plain["rules"][0] == {
        "rule": "vip",
        "matched": False,
        "failed": "author vip is unset, rule wants 'true'",
        "held": [],
    }
    assert (vip["team"], vip["rule"], vip["labels"]["source"]) == ("support", "vip", "forum")
    assert vip["sinks"] == [{"type": "board"}, {"type": "slack", "channel": "#support", "redact": True}]
