"""While the database is down the API answers 503 with a JSON reason and Retry-After, and /healthz
says so without the database's host, port or driver message (those go to the log).

"Down" is real: PostgreSQL on a port nothing listens on, SQLite on a path that is a directory.
"""

import logging

import pytest
from fastapi.testclient import TestClient

from feedback_router.app import create_app

CLOSED_PORT = 1


@pytest.fixture
def down(configure, database_url, tmp_path):  # type: ignore[no-untyped-def]
    if database_url.startswith("postgresql"):
        url = f"postgresql+psycopg://postgres@127.0.0.1:{CLOSED_PORT}/feedback"
    else:
        url = f"sqlite:///{tmp_path}"  # a directory: SQLite cannot open it
    configure(database_url=url)
    with TestClient(create_app(start_worker=False)) as client:
        yield client


REQUESTS = [
    ("POST", "/v1/feedback", {"text": "The export crashes"}),
    ("POST", "/v1/feedback/batch", {"items": [{"text": "one"}, {"text": "two"}]}),
    ("GET", "/v1/feedback", None),
    ("POST", "/v1/feedback/1/labels", {"kind": "bug_report"}),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_requests_get_503_with_a_json_reason_and_retry_after(down, method, path, body):
    response = down.request(method, path, json=body, headers={"Authorization": "Bearer fr_some_key"})

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["retry-after"]) > 0
    assert response.json() == {"detail": "the database is unavailable: try again shortly"}


def test_health_names_the_database_without_its_address_and_logs_the_detail(down, caplog):
    caplog.set_level(logging.WARNING, logger="feedback_router.health")

    response = down.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "error: cannot reach the database (details in the service log)"
    assert "127.0.0.1" not in response.text and "tmp" not in response.text
    assert "health check database failed" in caplog.text and "OperationalError" in caplog.text
