"""POST /v1/routing/check, /apply and /explain: a new routing file checked as `routes check` checks
it, applied in place of the one in force (admins), and a text's route explained as `route --explain`
explains it.
"""

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feedback_router.cli import app as cli
from feedback_router.routing import live, rules
from tests.routing.helpers import TWO_TEAMS, write
from tests.routing.test_reload import BROKEN, corrected_to_bug

BOARD_ONLY = TWO_TEAMS.replace(', {type: slack, channel: "#support"}', "")
TO_SUPPORT = BOARD_ONLY.replace("bugs-to-product", "bugs-to-support").replace(
    "team: product", "team: support"
)
TWO_PROBLEMS = TWO_TEAMS.replace("kind: bug_report", "kind: bug").replace(
    "{type: board}]}\n  support", "{type: jira}]}\n  support"
)
YAML = {"Content-Type": "application/yaml"}


@pytest.fixture
def routes(tmp_path: Path, configure) -> Path:  # type: ignore[no-untyped-def]
    """A routing file of this test's own, in force through FEEDBACK_ROUTER_ROUTING_FILE."""
    path = write(tmp_path / "routes.yaml", BOARD_ONLY)
    configure(routing_file=path)
    return path


def check(api, auth, text: str | bytes, role: str = "manager"):  # type: ignore[no-untyped-def]
    return api.post("/v1/routing/check", content=text, headers={**auth[role], **YAML})


def apply(api, auth, text: str | bytes, role: str = "admin"):  # type: ignore[no-untyped-def]
    return api.post("/v1/routing/apply", content=text, headers={**auth[role], **YAML})


# --- check --------------------------------------------------------------------------------------


def test_a_valid_file_is_counted_and_its_unreachable_tools_named(api, auth):
    board = check(api, auth, BOARD_ONLY)
    slack = check(api, auth, TWO_TEAMS)

    assert board.status_code == 200
    assert board.json() == {"valid": True, "errors": [], "rules": 1, "teams": 2, "missing_settings": []}
    assert slack.json()["valid"] is True
    assert slack.json()["missing_settings"] == [
        "team support sends to Slack: "
        "set FEEDBACK_ROUTER_SLACK__BOT_TOKEN or FEEDBACK_ROUTER_SLACK__WEBHOOK_URL"
    ]


def test_each_problem_has_its_line_as_routes_check_reports_it(api, auth, tmp_path):
    response = check(api, auth, TWO_PROBLEMS)

    assert response.status_code == 200
    body = response.json()
    assert (body["valid"], body["rules"], body["teams"]) == (False, 0, 0)
    assert [(e["line"], e["path"]) for e in body["errors"]] == [
        (3, "teams.product.sinks.0.project"),
        (7, "rules.0.when.kind"),
    ]
    assert body["errors"][0]["reason"] == "Field required"
    # The very problems `feedback-router routes check FILE` prints for the same text.
    path = write(tmp_path / "same.yaml", TWO_PROBLEMS)
    with pytest.raises(rules.RoutingFileError) as raised:
        rules.load(path)
    shown = [f"{path}:{e['line']}: {e['path']}: {e['reason']}" for e in body["errors"]]
    assert shown == raised.value.problems


def test_yaml_that_does_not_parse_names_its_line(api, auth):
    body = check(api, auth, "version: 2\nrules:\n  - name: [unclosed\n").json()

    assert body["valid"] is False
    (problem,) = body["errors"]
    assert problem["line"] == 4 and problem["path"] == ""
    assert problem["reason"].startswith("not valid YAML: ")


def test_an_undeclared_team_is_found_too(api, auth):
    body = check(api, auth, BROKEN).json()

    assert body["errors"] == [
        {
            "line": 8,
            "path": "rules.0.team",
            "reason": "team 'sales' is not declared under teams (product, support)",
        }
    ]


@pytest.mark.parametrize("text", ["", "just words\n", "- a list\n"])
def test_text_that_is_no_mapping_is_invalid_not_an_error(api, auth, text):
    response = check(api, auth, text)

    assert response.status_code == 200
    assert response.json()["errors"] == [
        {"line": 1, "path": "", "reason": "routing file must be a mapping with 'rules'"}
    ]


def test_a_body_that_is_not_text_answers_400(api, auth):
    for body in (b"\xff\xfe\x00\x81 binary", b"version: 2\x00"):
        response = check(api, auth, body)
        assert response.status_code == 400
        assert response.json()["detail"] == "request body must be the routing file's YAML as UTF-8 text"


def test_checking_needs_a_manager(api, auth):
    assert check(api, auth, BOARD_ONLY, role="forwarder").status_code == 403
    assert api.post("/v1/routing/check", content=BOARD_ONLY).status_code == 401


# --- apply --------------------------------------------------------------------------------------


def test_apply_replaces_the_file_keeps_a_backup_and_puts_the_rules_in_force(api, auth, routes):
    routes.chmod(0o640)
    assert corrected_to_bug(api, auth, "before")["team"] == "product"

    response = apply(api, auth, TO_SUPPORT)

    assert response.status_code == 200, response.text
    backup = routes.with_name("routes.yaml.bak")
    assert response.json() == {"rules": 1, "teams": 2, "file": str(routes), "backup": str(backup)}
    assert routes.read_text(encoding="utf-8") == TO_SUPPORT
    assert backup.read_text(encoding="utf-8") == BOARD_ONLY
    assert stat.S_IMODE(routes.stat().st_mode) == 0o640
    assert [p.name for p in routes.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert live.current(routes).rules[0].name == "bugs-to-support"
    after = corrected_to_bug(api, auth, "after")
    assert (after["team"], after["route_rule"]) == ("support", "bugs-to-support")

    again = apply(api, auth, BOARD_ONLY)  # the backup is always the file just replaced
    assert again.status_code == 200
    assert backup.read_text(encoding="utf-8") == TO_SUPPORT


def test_apply_writes_a_file_that_does_not_exist_yet(api, auth, tmp_path, configure):
    path = tmp_path / "new" / "routes.yaml"
    path.parent.mkdir()
    configure(routing_file=path)

    response = apply(api, auth, TO_SUPPORT)

    assert response.status_code == 200, response.text
    assert response.json()["backup"] is None
    assert path.read_text(encoding="utf-8") == TO_SUPPORT
    assert sorted(p.name for p in path.parent.iterdir()) == ["routes.yaml"]


def test_an_invalid_file_is_not_applied_and_the_rules_in_force_stay(api, auth, routes):
    response = apply(api, auth, BROKEN)

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "routing file not applied, the rules in force stay: line 8: rules.0.team: "
        "team 'sales' is not declared under teams (product, support)"
    )
    assert routes.read_text(encoding="utf-8") == BOARD_ONLY
    assert not routes.with_name("routes.yaml.bak").exists()
    assert corrected_to_bug(api, auth, "still")["route_rule"] == "bugs-to-product"


def test_a_file_sending_to_a_tool_without_settings_is_not_applied(api, auth, routes):
    response = apply(api, auth, TWO_TEAMS)

    assert response.status_code == 422
    assert "team support sends to Slack: set FEEDBACK_ROUTER_SLACK__BOT_TOKEN" in response.json()["detail"]
    assert routes.read_text(encoding="utf-8") == BOARD_ONLY


def test_without_a_routing_file_apply_says_which_setting_to_set(api, auth):
    response = apply(api, auth, BOARD_ONLY)

    assert response.status_code == 409
    assert "set FEEDBACK_ROUTER_ROUTING_FILE" in response.json()["detail"]
    assert rules.DEFAULT_FILE.read_text(encoding="utf-8") != BOARD_ONLY


def test_applying_needs_an_admin(api, auth, routes):
    assert apply(api, auth, TO_SUPPORT, role="manager").status_code == 403
    assert api.post("/v1/routing/apply", content=TO_SUPPORT).status_code == 401
    assert routes.read_text(encoding="utf-8") == BOARD_ONLY


# --- explain ------------------------------------------------------------------------------------

BUG = "The app crashes with an error every time I tap the export button on Android 14."


def test_explain_refuses_an_empty_text_and_forwarders(api, auth):
    assert api.post("/v1/routing/explain", json={"text": "  "}, headers=auth["manager"]).status_code == 422
    assert api.post("/v1/routing/explain", json={"text": BUG}, headers=auth["forwarder"]).status_code == 403


@pytest.mark.slow
def test_explain_shows_labels_every_rule_tried_the_team_and_its_sinks(api, auth, routes):
    response = api.post("/v1/routing/explain", json={"text": BUG}, headers=auth["manager"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["text"], body["team"], body["rule"]) == (BUG, "product", "bugs-to-product")
    assert body["parts"] == []
    assert body["labels"]["kind"] == "bug_report" and body["labels"]["source"] == "api"
    assert body["labels"]["confidence"] >= 0.5
    (trial,) = body["rules"]
    assert trial["matched"] is True and trial["held"][0] == "kind bug_report"
    assert body["sinks"] == [{"type": "board"}]
    assert body["reason"].startswith("rule 'bugs-to-product' matched: kind bug_report")


@pytest.mark.slow
def test_explain_answers_what_the_command_line_prints(api, auth, tmp_path, configure):
    vip_first = BOARD_ONLY.replace(
        "rules:\n", "rules:\n  - {name: vip, when: {author: {vip: true}, min_confidence: 0}, team: support}\n"
    )
    path = write(tmp_path / "vip.yaml", vip_first)
    configure(routing_file=path)
    asked = {"text": BUG, "source": "forum", "metadata": {"vip": "true"}}

    answer = api.post("/v1/routing/explain", json=asked, headers=auth["manager"]).json()
    printed = CliRunner().invoke(
        cli, ["route", "--explain", BUG, "--json", "--source", "forum", "--meta", "vip=true"]
    )

    assert printed.exit_code == 0, printed.output
    assert answer == json.loads(printed.stdout)
    assert (answer["team"], answer["rule"], answer["labels"]["source"]) == ("support", "vip", "forum")
