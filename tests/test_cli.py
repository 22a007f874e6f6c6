"""The feedback-router command: classify, migrate, apikey, --help, and the refusals at start."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from classifiers import KINDS
from feedback_router.auth import service as keys
from feedback_router.cli import app, first_admin_key
from feedback_router.config import get_settings
from feedback_router.db import session_scope
from tests.cli_helpers import error_line

runner = CliRunner()

BUG = "The app crashes with an error every time I tap the export button on Android 14."
QUESTION = "How do I change the email address on my account?"
INSULT = "Shut up, you stupid moron."


@pytest.fixture
def no_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Settings for commands that need no shared test database: a fresh SQLite file of their own."""
    for name in list(os.environ):
        if name.startswith("FEEDBACK_ROUTER_"):
            monkeypatch.delenv(name)
    db = tmp_path / "own.db"
    monkeypatch.setenv("FEEDBACK_ROUTER_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("FEEDBACK_ROUTER_AUTO_MIGRATE", "false")
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


# --- classify -------------------------------------------------------------------------------


def classified(stdout: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stdout.splitlines()]


def check_labels(line: dict, text: str, kind: str, team: str, rule: str) -> None:  # type: ignore[type-arg]
    assert (line["text"], line["kind"], line["team"], line["rule"]) == (text, kind, team, rule)
    assert set(line["scores"]) == set(KINDS)
    assert all(0 <= score <= 1 for score in line["scores"].values())  # independent scores
    assert line["confidence"] == line["scores"][kind] == max(line["scores"].values())
    assert f"rule '{rule}' matched" in line["reason"]
    evidence = line["evidence"]
    assert set(evidence) == {"kind", "sentiment", "abuse"}  # no taxonomy: no topic evidence
    assert all({"text", "label", "similarity"} <= set(e) for e in evidence["kind"])
    assert line["sentiment"] in ("negative", "neutral", "positive")
    assert isinstance(line["abuse"], bool) and line["language"] == "en"
    assert line["urgency"] in ("low", "normal", "high") and isinstance(line["urgency_signals"], list)
    assert line["topic"] is None and line["parts"] == []
    assert line["model_version"].startswith("heads-")


@pytest.mark.slow
def test_classify_file_prints_one_json_line_per_text(no_database, tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text(
        f"{BUG}\n\n"
        + json.dumps({"text": QUESTION, "id": 17})  # a JSON object: its text is classified
        + "\n   \n"
        + f"{INSULT}\n",
        encoding="utf-8",
    )

    result = runner.invoke(app, ["classify", str(path)])

    assert result.exit_code == 0, result.output
    lines = classified(result.stdout)
    assert len(lines) == 3  # blank lines are skipped
    check_labels(lines[0], BUG, "bug_report", "product", "product-issues")
    check_labels(lines[1], QUESTION, "question", "support", "questions-to-support")
    check_labels(lines[2], INSULT, "abuse", "moderation", "abuse-to-moderation")


@pytest.mark.slow
def test_classify_reads_stdin(no_database):
    result = runner.invoke(app, ["classify", "-"], input=f"{QUESTION}\n\n{BUG}\n")

    assert result.exit_code == 0, result.output
    lines = classified(result.stdout)
    assert [(line["text"], line["kind"], line["team"]) for line in lines] == [
        (QUESTION, "question", "support"),
        (BUG, "bug_report", "product"),
    ]


def test_classify_missing_file_exits_2(no_database, tmp_path):
    assert "is not a file" in error_line(runner.invoke(app, ["classify", str(tmp_path / "none.txt")]))


# --- migrate --------------------------------------------------------------------------------


def test_migrate_says_up_to_date_and_is_safe_twice(settings):
    for _ in range(2):
        result = runner.invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        assert result.stdout == "database is up to date\n"


def test_migrate_creates_the_schema_in_an_empty_database(no_database):
    for _ in range(2):
        result = runner.invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        assert result.stdout == "database is up to date\n"
    engine = create_engine(f"sqlite:///{no_database}")
    assert {"feedback", "processing_jobs", "api_keys", "tickets"} <= set(inspect(engine).get_table_names())
    engine.dispose()


# --- apikey ---------------------------------------------------------------------------------


def create_key(role: str = "manager", name: str = "ops laptop") -> str:
    result = runner.invoke(app, ["apikey", "create", "--role", role, "--name", name])
    assert result.exit_code == 0, result.output
    assert "it is not shown again" in result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("fr_") and "\n" not in secret
    return secret


def listed() -> list[list[str]]:
    result = runner.invoke(app, ["apikey", "list"])
    assert result.exit_code == 0, result.output
    return [line.split("\t") for line in result.stdout.splitlines()]


def test_apikey_create_prints_a_key_that_works_against_the_api(api):
    headers = {"Authorization": f"Bearer {create_key('manager')}"}

    assert api.get("/v1/feedback", headers=headers).status_code == 200  # manager may read
    assert api.post("/v1/feedback", json={"text": "via the new key"}, headers=headers).status_code == 202


def test_apikey_list_never_prints_the_secret(settings):
    secret = create_key("manager", "ops laptop")

    result = runner.invoke(app, ["apikey", "list"])

    assert result.exit_code == 0
    assert secret not in result.output and secret[10:] not in result.output
    key_id, role, prefix, state, name = listed()[0]
    assert (role, state, name) == ("manager", "active", "ops laptop")
    assert prefix == secret[:10] + "…" and int(key_id) > 0


def test_apikey_revoke_makes_the_key_401(api):
    headers = {"Authorization": f"Bearer {create_key('admin', 'temp')}"}
    assert api.get("/v1/tickets", headers=headers).status_code == 200
    key_id = listed()[0][0]

    result = runner.invoke(app, ["apikey", "revoke", key_id])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"key {key_id} revoked\n"
    assert api.get("/v1/tickets", headers=headers).status_code == 401
    assert listed()[0][3] == "revoked"


def test_apikey_revoke_of_an_unknown_id_exits_2(settings):
    assert error_line(runner.invoke(app, ["apikey", "revoke", "999"])) == "error: API key 999 does not exist"


@pytest.mark.parametrize("key_id", [str(2**31), str(2**63), str(2**64)])
def test_apikey_revoke_of_an_id_beyond_the_database_s_range_exits_2(settings, key_id):
    assert (
        error_line(runner.invoke(app, ["apikey", "revoke", key_id]))
        == f"error: API key {key_id} does not exist"
    )


# --- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["serve"], "Start the API"),
        (["worker"], "Start a Celery worker"),
        (["import"], "Import feedback"),
        (["classify"], "Print every label"),
        (["route"], "explain its route"),
        (["routes", "check"], "Check a routing file"),
        (["migrate"], "Create or upgrade the database schema"),
        (["apikey"], "revoke"),
        (["apikey", "create"], "--role"),
        (["apikey", "list"], "never their secrets"),
        (["apikey", "revoke"], "Id from 'apikey list'"),
        ([], "classify"),
    ],
)
def test_help_works_for_each_command(no_database, command, expected):
    result = runner.invoke(app, [*command, "--help"])

    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout and expected in result.stdout
    assert not no_database.exists()  # help touches no database


# --- refusals at start ----------------------------------------------------------------------


def console_script() -> str:
    """The installed feedback-router command of this virtual environment."""
    beside = Path(sys.executable).with_name("feedback-router")
    found = str(beside) if beside.exists() else shutil.which("feedback-router")
    assert found, "the feedback-router console script is not installed (pip install -e .)"
    return found


def run_serve(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`feedback-router serve` (or another command) in its own process, as an operator starts it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_ROUTER_")}
    env.update(
        FEEDBACK_ROUTER_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        FEEDBACK_ROUTER_AUTO_MIGRATE="false",
        FEEDBACK_ROUTER_PORT="9",  # never reached: a refusal comes before listening
        HF_HOME=str(tmp_path / "hf-home"),  # a download would land here
        COLUMNS="80",  # a narrow console must not break the error line
    )
    env.update({f"FEEDBACK_ROUTER_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run(
        [console_script(), *(args or ("serve",))],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def refusal(process: subprocess.CompletedProcess[str]) -> str:
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), process.stderr
    return lines[0]


@pytest.mark.slow
def test_serve_refuses_a_missing_model_without_loading_or_downloading(tmp_path):
    process = run_serve(tmp_path, embedding_model="/nonexistent")

    line = refusal(process)
    assert "/nonexistent" in line and "does not exist" in line
    assert process.stdout == ""  # no admin key printed: nothing started
    assert not (tmp_path / "hf-home").exists()
    assert not (tmp_path / "serve.db").exists()


@pytest.mark.slow
def test_serve_refuses_an_invalid_routing_file_naming_file_and_line(tmp_path):
    routes = tmp_path / "a-rather-long-folder-name-for-the-routing-rules" / "routes.yaml"
    routes.parent.mkdir()
    routes.write_text(
        "version: 1\n"
        "rules:\n"
        "  - name: abuse\n"
        "    when: {kind: abuse}\n"
        "    team: moderation\n"
        "  - name: complaints\n"
        "    when: {kind: complaint}\n"
        "    team: product\n",
        encoding="utf-8",
    )

    line = refusal(run_serve(tmp_path, routing_file=str(routes)))

    assert line.startswith(f"error: {routes}:7: rules.1.when.kind: ")
    assert "unknown kind 'complaint'" in line


@pytest.mark.slow
def test_serve_refuses_sinks_it_cannot_reach_and_says_what_to_set(tmp_path):
    routes = tmp_path / "routes.yaml"
    routes.write_text(
        "version: 2\n"
        "teams:\n"
        "  product: {sinks: [{type: jira, project: FR}, {type: slack, channel: '#bugs'}]}\n"
        "  support: {sinks: [{type: jira, project: SUP}]}\n"
        "rules: [{name: bugs, when: {kind: bug_report}, team: product}]\n",
        encoding="utf-8",
    )

    line = refusal(run_serve(tmp_path, routing_file=str(routes)))

    assert "team product, support sends to Jira: set FEEDBACK_ROUTER_JIRA__URL" in line
    assert "team product sends to Slack: set FEEDBACK_ROUTER_SLACK__BOT_TOKEN" in line


def test_worker_without_redis_exits_2_with_a_clear_line(no_database):
    line = error_line(runner.invoke(app, ["worker"]))

    assert "FEEDBACK_ROUTER_REDIS_URL is not set" in line


def test_worker_on_an_unknown_queue_exits_2_naming_the_queues(no_database, monkeypatch):
    monkeypatch.setenv("FEEDBACK_ROUTER_REDIS_URL", "redis://127.0.0.1:1/0")  # refused before any connection
    get_settings.cache_clear()

    line = error_line(runner.invoke(app, ["worker", "--queues", "classify,deliveries"]))

    assert line == "error: unknown queue deliveries; choose from classify, background"


@pytest.mark.parametrize("command", [("serve",), ("migrate",), ("apikey", "list")])
def test_unreachable_database_is_one_line_without_the_password(tmp_path, command):
    process = run_serve(
        tmp_path, *command, database_url="postgresql+psycopg://fr:hunter2@127.0.0.1:1/nowhere"
    )

    line = refusal(process)
    assert line.startswith("error: cannot reach the database postgresql+psycopg://fr:***@127.0.0.1:1/nowhere")
    assert "hunter2" not in process.stderr + process.stdout


# --- the first admin key --------------------------------------------------------------------


def test_a_key_created_before_the_first_start_means_the_start_prints_none(settings, capsys):
    create_key("admin", "ops")

    first_admin_key(settings)

    assert capsys.readouterr().out == ""
    assert len(listed()) == 1  # no second admin key either


def test_the_first_start_prints_its_admin_key_once_without_a_key_file(settings, capsys):
    first_admin_key(settings)
    first_admin_key(settings)

    printed = capsys.readouterr().out
    assert printed.count("Created the first admin API key") == 1
    with session_scope(settings.database_url) as session:
        assert keys.authenticate(session=session, secret=printed.split()[-1]).role == "admin"


def test_the_first_admin_key_goes_to_the_key_file_with_mode_0600_and_not_to_the_log(
    configure, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    path = tmp_path / "admin-key"
    path.write_text("left over\n")
    path.chmod(0o644)  # a file that was there gets the narrow mode too
    settings = configure(admin_key_file=str(path))

    first_admin_key(settings)
    first_admin_key(settings)  # a later start leaves it alone

    secret = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    printed = capsys.readouterr().out
    assert printed == f"Created the first admin API key, written to {path} (mode 0600)\n"
    assert secret not in printed
    with session_scope(settings.database_url) as session:
        assert keys.authenticate(session=session, secret=secret).role == "admin"


def test_a_key_file_that_cannot_be_written_stops_the_start_and_stores_no_key(configure, tmp_path):  # type: ignore[no-untyped-def]
    settings = configure(admin_key_file=str(tmp_path / "missing-folder" / "admin-key"))

    with pytest.raises(typer.Exit) as stopped:
        first_admin_key(settings)

    assert stopped.value.exit_code == 2
    assert listed() == []
