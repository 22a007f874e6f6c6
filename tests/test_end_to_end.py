"""From POST to ticket through the real API, the real model and a real worker.

The embedded default runs the worker in a thread of the API process; at scale a Celery worker
on the real Redis does the same work. Both run on SQLite and on PostgreSQL.
"""

import logging
import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient

from feedback_router import worker
from feedback_router.app import create_app
from feedback_router.config import Settings

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

    signed_out = embedded.get("/")
    assert signed_out.status_code == 401
    assert '<form method="post" action="/login">' in signed_out.text
    assert text not in signed_out.text

    manager_key = auth["manager"]["Authorization"].removeprefix("Bearer ")
    page = embedded.post("/login", data={"key": manager_key})  # 303 to /, followed with the cookie
    assert page.status_code == 200
    assert page.url.path == "/"
    assert text in page.text
    assert "bug_report" in page.text and f"{team}</td>" in page.text
    assert "<form" not in page.text


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
