"""Reloading the routing rules without a restart: POST /v1/admin/reload and SIGHUP.

A real file is edited each time; a broken edit is refused with its line and the rules in
force stay.
"""

import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feedback_router.routing import live
from tests.routing.helpers import TWO_TEAMS, write

BUG = "The export to PDF crashes every time I press save on Android 14."
TO_SUPPORT = TWO_TEAMS.replace("bugs-to-product", "bugs-to-support").replace("team: product", "team: support")
BROKEN = TWO_TEAMS.replace("team: product", "team: sales")  # line 8 names an undeclared team


@pytest.fixture
def routes(tmp_path: Path, configure) -> Path:  # type: ignore[no-untyped-def]
    """A routing file of this test's own, in force through FEEDBACK_ROUTER_ROUTING_FILE."""
    path = write(tmp_path / "routes.yaml", TWO_TEAMS)
    configure(routing_file=path)
    return path


def corrected_to_bug(api, auth, text: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """Post an item and correct its kind: the API routes it by the rules in force."""
    feedback_id = api.post("/v1/feedback", json={"text": text}, headers=auth["forwarder"]).json()["id"]
    response = api.post(
        f"/v1/feedback/{feedback_id}/labels", json={"kind": "bug_report"}, headers=auth["manager"]
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_reload_puts_the_edited_rules_in_force_without_a_restart(api, auth, routes):
    before = corrected_to_bug(api, auth, "first")
    write(routes, TO_SUPPORT)

    response = api.post("/v1/admin/reload", headers=auth["admin"])

    assert response.status_code == 200
    assert response.json() == {"rules": 1, "teams": 2}
    after = corrected_to_bug(api, auth, "second")
    assert (before["team"], before["route_rule"]) == ("product", "bugs-to-product")
    assert (after["team"], after["route_rule"]) == ("support", "bugs-to-support")
    assert api.get(f"/v1/feedback/{before['id']}", headers=auth["manager"]).json()["team"] == "product"


def test_a_broken_file_is_refused_with_its_line_and_the_rules_in_force_stay(api, auth, routes):
    corrected_to_bug(api, auth, "the rules are loaded")
    write(routes, BROKEN)

    response = api.post("/v1/admin/reload", headers=auth["admin"])

    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"routing file not reloaded, the rules in force stay: {routes}:8: rules.0.team: "
        "team 'sales' is not declared under teams (product, support)"
    )
    assert corrected_to_bug(api, auth, "still routed")["team"] == "product"
    routes.unlink()
    gone = api.post("/v1/admin/reload", headers=auth["admin"])
    assert gone.status_code == 422 and "cannot be read: No such file or directory" in gone.json()["detail"]
    assert corrected_to_bug(api, auth, "and still")["route_rule"] == "bugs-to-product"


def test_only_admins_reload(api, auth, routes):
    assert api.post("/v1/admin/reload", headers=auth["manager"]).status_code == 403
    assert api.post("/v1/admin/reload").status_code == 401


def test_reload_of_the_packaged_default(api, auth):
    response = api.post("/v1/admin/reload", headers=auth["admin"])

    assert response.status_code == 200 and response.json() == {"rules": 6, "teams": 4}


# --- SIGHUP -----------------------------------------------------------------------------------


@pytest.fixture
def sighup_reloads(tmp_path: Path) -> Iterator[Path]:
    """SIGHUP reloads a routing file in this process for the test; the previous handler comes back."""
    path = write(tmp_path / "routes.yaml", TWO_TEAMS)
    previous = live.reload_on_sighup(path)
    yield path
    signal.signal(signal.SIGHUP, previous)


def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def test_sighup_reloads_the_rules_and_keeps_them_when_the_file_is_broken(sighup_reloads, caplog):
    path = sighup_reloads
    assert live.current(path).rules[0].name == "bugs-to-product"
    caplog.set_level(logging.INFO, logger="feedback_router.routing.live")

    write(path, TO_SUPPORT)
    os.kill(os.getpid(), signal.SIGHUP)
    # the reload swaps the rules, then logs: wait for the line, not only for the rules
    wait_for(lambda: "routing rules reloaded" in caplog.text)
    assert live.current(path).rules[0].name == "bugs-to-support"
    assert f"routing rules reloaded from {path}: 1 rules, 2 teams" in caplog.text

    write(path, BROKEN)
    os.kill(os.getpid(), signal.SIGHUP)
    wait_for(lambda: "not reloaded" in caplog.text)
    assert f"routing file not reloaded, the rules in force stay: {path}:8: rules.0.team" in caplog.text
    assert live.current(path).rules[0].name == "bugs-to-support"


@pytest.mark.slow
def test_processing_routes_by_the_reloaded_rules(api, auth, routes):
    from feedback_router.config import get_settings
    from feedback_router.jobs import drain

    settings = get_settings()  # with the routing file of this test

    def process(text: str) -> dict:  # type: ignore[type-arg]
        feedback_id = api.post("/v1/feedback", json={"text": text}, headers=auth["forwarder"]).json()["id"]
        drain(settings)  # what the worker does, in this thread
        return api.get(f"/v1/feedback/{feedback_id}", headers=auth["manager"]).json()

    assert process(BUG)["route_rule"] == "bugs-to-product"
    write(routes, TO_SUPPORT)
    assert api.post("/v1/admin/reload", headers=auth["admin"]).status_code == 200

    item = process("Sync has been broken since version 7, nothing uploads")
    assert (item["kind"], item["team"], item["route_rule"]) == ("bug_report", "support", "bugs-to-support")
    assert item["route_explanation"]["rules"][0]["matched"] is True
    assert [(t["sink"], t["team"]) for t in item["tickets"]] == [("board", "support"), ("slack", "support")]


@pytest.mark.slow
@pytest.mark.redis
def test_sighup_to_a_real_worker_reloads_its_rules_without_a_restart(configure, redis_url, tmp_path):
    from feedback_router.db import session_scope
    from feedback_router.feedback import service
    from feedback_router.feedback.models import Feedback
    from feedback_router.feedback.schemas import FeedbackCreate
    from feedback_router.worker import notify
    from tests.test_crash_safety import log_tail, wait_for, worker_process

    board_only = ', {type: slack, channel: "#support"}'  # no Slack settings here: the worker would refuse
    routes = write(tmp_path / "routes.yaml", TWO_TEAMS.replace(board_only, ""))
    settings = configure(routing_file=routes, redis_url=redis_url)

    def add(text: str) -> int:
        with session_scope(settings.database_url) as session:
            return service.create(session=session, feedback_in=FeedbackCreate(text=text))[0].id

    def routed(feedback_id: int) -> tuple[str | None, str | None]:
        with session_scope(settings.database_url) as session:
            item = session.get_one(Feedback, feedback_id)
            return item.team, item.route_rule

    first = add(BUG)
    with worker_process(tmp_path, "worker") as process:  # its start-up sweep takes the first item
        wait_for(lambda: routed(first)[0] is not None, 90, lambda: log_tail(tmp_path, "worker"))
        write(routes, TO_SUPPORT.replace(board_only, ""))
        os.kill(process.pid, signal.SIGHUP)
        whole_log = tmp_path / "worker" / "worker.log"  # beat's lines may push the reload out of the tail
        wait_for(
            lambda: "routing rules reloaded" in whole_log.read_text(errors="replace"),
            30,
            lambda: log_tail(tmp_path, "worker"),
        )
        second = add("Sync has been broken since version 7, nothing uploads")
        notify(settings)
        wait_for(lambda: routed(second)[0] is not None, 60, lambda: log_tail(tmp_path, "worker"))
        assert process.poll() is None

    assert routed(first) == ("product", "bugs-to-product")
    assert routed(second) == ("support", "bugs-to-support")
    assert "Restarting celery worker" not in log_tail(tmp_path, "worker")


@pytest.mark.slow
def test_a_reload_in_the_api_process_reaches_the_worker_process_of_serve(auth, routes, settings):
    """`serve` runs its worker in a process of its own (app.WorkerProcess): the reload is passed on."""
    from fastapi.testclient import TestClient

    from feedback_router.app import create_app
    from feedback_router.db import session_scope
    from feedback_router.feedback.models import Feedback, FeedbackStatus

    def routed(feedback_id: int) -> tuple[str | None, str | None] | None:
        with session_scope(settings.database_url) as session:
            item = session.get(Feedback, feedback_id)
            assert item is not None
            return (item.team, item.route_rule) if item.status == FeedbackStatus.processed else None

    def processed(api: TestClient) -> tuple[str | None, str | None]:
        feedback_id = api.post("/v1/feedback", json={"text": BUG}, headers=auth["forwarder"]).json()["id"]
        wait_for(lambda: routed(feedback_id) is not None, timeout=600)
        found = routed(feedback_id)
        assert found is not None
        return found

    with TestClient(create_app(start_worker="process")) as api:
        before = processed(api)  # the worker process has read the rules
        write(routes, TO_SUPPORT)
        assert api.post("/v1/admin/reload", headers=auth["admin"]).status_code == 200
        after = processed(api)

    assert before == ("product", "bugs-to-product")
    assert after == ("support", "bugs-to-support")
