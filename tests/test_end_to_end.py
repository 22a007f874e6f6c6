"""From POST to ticket through the real API, the real model and a real worker.

The embedded default runs the worker in a thread of the API process; at scale a Celery worker
on the real Redis does the same work. Both run on SQLite and on PostgreSQL.
"""

import json
import logging
import re
import time
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient

from feedback_router import worker
from feedback_router.app import create_app
from feedback_router.config import Settings
from tests.conftest import unavailable

pytestmark = pytest.mark.slow

EXAMPLES = [
    ("The export to PDF crashes every time I press save on Android 14.", "bug_report", "product"),
    ("How do I change the email address on my account?", "question", "support"),
    ("I love the new dark mode, thank you so much, great work!", "praise", "social"),
    ("You are all idiots and your app is garbage, go to hell.", "abuse", "moderation"),
]


def submit(client: TestClient, auth: dict[str, dict[str, str]], text: str) -> int:
    response = client.post("/v1/feedback", json={"text": text, "source": "forum"}, headers=auth["forwarder"])
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def wait_processed(
    client: TestClient, auth: dict[str, dict[str, str]], ids: list[int], timeout: float = 30
) -> dict:
    """Poll the API until every item is processed; returns them by id."""
    deadline = time.monotonic() + timeout
    while True:
        items = {i: client.get(f"/v1/feedback/{i}", headers=auth["manager"]).json() for i in ids}
        waiting = [i for i, item in items.items() if item["status"] != "processed"]
        if not waiting:
            return items
        if time.monotonic() > deadline:
            pytest.fail(f"not processed within {timeout} s: {[items[i] for i in waiting]}")
        time.sleep(0.1)


def assert_routed_with_tickets(client: TestClient, auth: dict[str, dict[str, str]], ids: list[int]) -> None:
    items = wait_processed(client, auth, ids)
    for feedback_id, (_, kind, team) in zip(ids, EXAMPLES, strict=True):
        item = items[feedback_id]
        assert (item["kind"], item["team"]) == (kind, team), item
        assert [(t["sink"], t["team"]) for t in item["tickets"]] == [("board", team)]
        board = client.get("/v1/tickets", params={"team": team}, headers=auth["manager"]).json()
        assert [t["feedback_id"] for t in board] == [feedback_id]


@pytest.fixture
def embedded(settings: Settings) -> Iterator[TestClient]:
    """The embedded default: API and in-process worker, no Redis."""
    assert settings.redis_url is None
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def celery_settings(configure, redis_url: str) -> Settings:  # type: ignore[no-untyped-def]
    return configure(redis_url=redis_url)


@pytest.fixture
def celery_api(celery_settings: Settings) -> Iterator[TestClient]:
    """The API with Redis configured: it only enqueues, workers process."""
    with TestClient(create_app()) as client:
        assert not worker.in_process_alive()
        yield client


def test_embedded_default_routes_each_kind_to_its_team_with_a_ticket(embedded, auth):
    ids = [submit(embedded, auth, text) for text, _, _ in EXAMPLES]
    assert_routed_with_tickets(embedded, auth, ids)


def test_embedded_health_reports_database_queue_and_model(embedded):
    response = embedded.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "queue": "ok (in-process worker)", "model": "ok"},
    }


def test_web_page_asks_for_a_key_then_lists_processed_feedback(embedded, auth):
    text, _, team = EXAMPLES[0]
    wait_processed(embedded, auth, [submit(embedded, auth, text)])

    signed_out = embedded.get("/")  # to the inbox, and from there to sign in
    assert signed_out.url.path == "/login"
    assert text not in signed_out.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', signed_out.text).group(1)

    manager_key = auth["manager"]["Authorization"].removeprefix("Bearer ")
    page = embedded.post("/login", data={"key": manager_key, "csrf": csrf})  # 303 to the inbox
    assert page.status_code == 200
    assert page.url.path == "/inbox"
    assert text in page.text
    assert "bug report" in page.text and f"<strong>{team}</strong>" in page.text


def test_items_accepted_without_a_worker_are_processed_once_one_starts(api, auth, settings):
    ids = [submit(api, auth, text) for text, _, _ in EXAMPLES]
    time.sleep(0.5)
    statuses = {api.get(f"/v1/feedback/{i}", headers=auth["manager"]).json()["status"] for i in ids}
    assert statuses == {"received"}  # accepted, and nothing runs them

    with TestClient(create_app()) as restarted:  # the worker's first sweep finds the waiting items
        assert_routed_with_tickets(restarted, auth, ids)


@pytest.fixture
def celery_worker(celery_settings: Settings) -> Iterator[None]:
    """A real Celery worker in a thread of this process, consuming from the real Redis."""
    worker.configure_celery(celery_settings)
    worker.get_processor(celery_settings)  # load the model before the worker takes its first task
    root = logging.getLogger()
    level = root.level  # the test worker sets the root logger to its own level; later tests need theirs
    try:
        with start_worker(worker.celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        root.setLevel(level)


@pytest.mark.redis
def test_celery_worker_on_redis_processes_items_posted_to_the_api(celery_api, celery_worker, auth):
    ids = [submit(celery_api, auth, text) for text, _, _ in EXAMPLES]
    assert_routed_with_tickets(celery_api, auth, ids)


@pytest.mark.redis
def test_celery_health_reports_the_queue_on_redis(celery_api):
    response = celery_api.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["queue"] == "ok (celery on redis)"


TEAM_TOOLS = """\
version: 2
teams:
  support: {sinks: [{type: jira, project: SUP, issue_type: Task}]}
  product: {sinks: [{type: jira, project: FR, issue_type: Bug}]}
  social: {sinks: [{type: slack, channel: "#social"}]}
  moderation: {sinks: [{type: slack, channel: "#moderation"}, {type: board}]}
rules:
  - {name: abuse-to-moderation, when: {abuse: true}, team: moderation}
  - {name: abusive-kind-to-moderation, when: {kind: abuse}, team: moderation}
  - {name: questions-to-support, when: {kind: question}, team: support}
  - {name: product-issues, when: {kind: [bug_report, feature_request, criticism]}, team: product}
  - {name: praise-to-social, when: {kind: praise}, team: social}
"""


def test_a_running_service_delivers_to_jira_and_slack_exactly_once(
    configure, tmp_path, fake_jira_cloud, fake_slack, auth
):
    """The issue's "done when": four posts, four deliveries to the teams' real tools, each once."""
    from tests.fakes.jira import FakeProject

    fake_jira_cloud.projects["SUP"] = FakeProject(key="SUP", id="10001", name="Support")
    fake_slack.channels.update({"C0SOCIAL": "social", "C0MOD": "moderation"})
    fake_slack.member_of.update({"C0SOCIAL", "C0MOD"})
    routes = tmp_path / "routes.yaml"
    routes.write_text(TEAM_TOOLS, encoding="utf-8")
    configure(
        routing_file=str(routes),
        **fake_jira_cloud.connection,
        slack__bot_token=fake_slack.token,
        slack__api_url=fake_slack.api_url,
    )
    with TestClient(create_app()) as client:
        ids = [submit(client, auth, text) for text, _, _ in EXAMPLES]
        wait_processed(client, auth, ids)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            items = [client.get(f"/v1/feedback/{i}", headers=auth["manager"]).json() for i in ids]
            tickets = [t for item in items for t in item["tickets"] if t["sink"] != "board"]
            if len(tickets) == 4 and all(t["delivery"] == "delivered" for t in tickets):
                break
            time.sleep(0.2)
        time.sleep(1)  # a few more sweeps: nothing may be sent twice

    bug, question, praise, insult = items
    assert [i["team"] for i in items] == ["product", "support", "social", "moderation"]
    assert {i["route_rule"] for i in items} >= {"product-issues", "questions-to-support", "praise-to-social"}
    assert all(i["route_reason"] and i["route_explanation"]["rule"] == i["route_rule"] for i in items)
    by_project = {issue.project.key: issue for issue in fake_jira_cloud.issues}
    assert len(fake_jira_cloud.issues) == 2 and set(by_project) == {"SUP", "FR"}
    assert f"fr-{question['id']}" in by_project["SUP"].fields["labels"]
    assert f"fr-{bug['id']}" in by_project["FR"].fields["labels"]
    assert [t["external_key"] for t in bug["tickets"]] == [by_project["FR"].key]
    assert sorted(m["channel"] for m in fake_slack.messages) == ["C0MOD", "C0SOCIAL"]
    social = next(m for m in fake_slack.messages if m["channel"] == "C0SOCIAL")
    assert "dark mode" in json.dumps(social) and "praise-to-social" in json.dumps(social)
    assert {t["sink"] for t in insult["tickets"]} == {"slack", "board"}


@pytest.fixture
def own_redis(tmp_path) -> Iterator[tuple[str, Callable[[], None]]]:  # type: ignore[no-untyped-def]
    """A private redis-server (so the shared one is never touched) and a function that restarts it empty."""
    import shutil
    import socket
    import subprocess

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server", "not on PATH")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    url = f"redis://127.0.0.1:{port}/0"
    process: list[subprocess.Popen] = []

    def start() -> None:
        process.append(subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL))
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def restart() -> None:
        process[-1].kill()  # SIGKILL: whatever it held in memory is gone
        process[-1].wait()
        start()

    start()
    yield url, restart
    process[-1].kill()
    process[-1].wait()


@pytest.mark.redis
def test_redis_restarted_with_the_tasks_in_it_loses_nothing(
    configure, own_redis, fake_jira_cloud, tmp_path, auth
):
    """Tasks queued in Redis die with it; the outbox in the database still has every item."""
    url, restart = own_redis
    routes = tmp_path / "routes.yaml"
    routes.write_text(
        "version: 2\nteams:\n  product: {sinks: [{type: jira, project: FR}]}\n"
        "  support: {sinks: [{type: board}]}\n  social: {sinks: [{type: board}]}\n"
        "  moderation: {sinks: [{type: board}]}\n"
        "rules:\n  - {name: abuse, when: {kind: abuse}, team: moderation}\n"
        "  - {name: questions, when: {kind: question}, team: support}\n"
        "  - {name: product, when: {kind: bug_report}, team: product}\n"
        "  - {name: praise, when: {kind: praise}, team: social}\n",
        encoding="utf-8",
    )
    settings = configure(
        redis_url=url,
        routing_file=str(routes),
        **fake_jira_cloud.connection,
    )
    with TestClient(create_app()) as client:
        ids = [submit(client, auth, text) for text, _, _ in EXAMPLES]  # each enqueued a task in Redis
        restart()
        worker.configure_celery(settings)
        worker.get_processor(settings)
        root, level = logging.getLogger(), logging.getLogger().level
        try:
            with start_worker(worker.celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
                worker.celery_app.send_task(worker.PROCESS_TASK)  # what Celery beat sends every few seconds
                items = wait_processed(client, auth, ids, timeout=60)
                deadline = time.monotonic() + 30
                while not fake_jira_cloud.issues and time.monotonic() < deadline:
                    time.sleep(0.2)
                time.sleep(1)
        finally:
            root.setLevel(level)
    assert [items[i]["team"] for i in ids] == ["product", "support", "social", "moderation"]
    [issue] = fake_jira_cloud.issues
    assert f"fr-{ids[0]}" in issue.fields["labels"]
