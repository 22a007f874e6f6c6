"""The embedded default under a burst: every request is answered, nothing accepted is lost, and
SIGTERM ends `feedback-router serve` also while it is busy.

Real uvicorn servers with the in-process worker and the packaged model, on SQLite and PostgreSQL;
the figures for a sustained load come from `make bench` (`--only load`), not from these tests.
"""

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from feedback_router.app import AdmissionLimit, create_app
from feedback_router.config import Settings
from feedback_router.db import session_scope
from feedback_router.feedback.models import Feedback, FeedbackStatus
from tests.fakes.server import serve

pytestmark = pytest.mark.slow

BURST = 200
COMMAND = Path(sys.executable).with_name("feedback-router")


def wait_for(condition: Callable[[], bool], timeout: float, explain: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s: {explain()}")
        time.sleep(0.1)


async def burst(base_url: str, headers: dict[str, str], count: int) -> list[httpx.Response]:
    """``count`` POST /v1/feedback at once, each on its own connection."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=120) as client:
        posts = (
            client.post("/v1/feedback", json={"text": f"The export crashes on page {n}", "source": "forum"})
            for n in range(count)
        )
        return await asyncio.gather(*posts)


def statuses(settings: Settings) -> dict[int, str]:
    """Every stored item (parts of mixed messages aside) and its status."""
    with session_scope(settings.database_url) as session:
        rows = session.execute(select(Feedback.id, Feedback.status).where(Feedback.parent_id.is_(None)))
        return {feedback_id: status for feedback_id, status in rows}


def test_a_burst_is_answered_202_or_503_and_every_accepted_item_is_processed(settings, auth):
    with serve(create_app(), name="service", lifespan="on") as base_url:  # type: ignore[arg-type]
        answers = asyncio.run(burst(base_url, auth["forwarder"], BURST))

        busy = [a for a in answers if a.status_code == 503]
        assert {a.status_code for a in answers} <= {202, 503}, [a.text for a in answers if a not in busy]
        for answer in busy:  # overload is a clear, retryable answer
            assert int(answer.headers["retry-after"]) >= 1
            assert "busy" in answer.json()["detail"]
        accepted = {a.json()["id"] for a in answers if a.status_code == 202}
        assert accepted
        assert set(statuses(settings)) == accepted  # nothing stored without its 202

        wait_for(
            lambda: all(s == FeedbackStatus.processed for s in statuses(settings).values()),
            timeout=600,
            explain=lambda: f"statuses {sorted(statuses(settings).values())}",
        )


async def _hold(scope, receive, send, release: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    await release.wait()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"done"})


def test_requests_over_the_admission_limit_get_a_fast_503_with_retry_after():
    async def scenario() -> list[httpx.Response]:
        release = asyncio.Event()
        limited = AdmissionLimit(lambda s, r, se: _hold(s, r, se, release), limit=2)
        transport = httpx.ASGITransport(app=limited)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            held = [asyncio.create_task(client.get("/")) for _ in range(2)]
            while limited.active < 2:
                await asyncio.sleep(0.01)
            refused = await client.get("/")  # answered while the two are still held
            release.set()
            return [refused, *await asyncio.gather(*held)]

    refused, *served = asyncio.run(scenario())
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {"detail": "the service is busy (2 requests at once): try again shortly"}
    assert [r.status_code for r in served] == [200, 200]


def test_a_capture_that_waits_too_long_for_sqlites_write_lock_answers_503_then_succeeds(
    sqlite_url, monkeypatch, request
):
    """SQLite only: its one write lock is what a capture waits for there (PostgreSQL locks rows)."""
    import sqlite3

    from feedback_router.auth import service as keys
    from feedback_router.auth.models import Role
    from feedback_router.config import get_settings
    from tests.conftest import _configure, emptied

    settings = _configure(monkeypatch, database_url=emptied(sqlite_url), auto_migrate=False)
    request.addfinalizer(get_settings.cache_clear)
    with session_scope(settings.database_url) as session:
        _, secret = keys.create(session=session, role=Role.forwarder, name="burst")
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"text": "The export crashes", "source": "forum"}
    # Another process's long write transaction, as an import might hold it.
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with TestClient(create_app(start_worker=False)) as client:
            busy = client.post("/v1/feedback", json=body, headers=headers)
            other.execute("ROLLBACK")
            accepted = client.post("/v1/feedback", json=body, headers=headers)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {"detail": "the database is busy: try again shortly"}
    assert accepted.status_code == 202
    assert list(statuses(settings)) == [accepted.json()["id"]]  # the refused one left nothing behind


def test_sigterm_stops_serve_while_it_takes_a_burst_and_its_worker_process_is_busy(settings, auth, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "FEEDBACK_ROUTER_DATABASE_URL": settings.database_url,
        "FEEDBACK_ROUTER_PORT": str(port),
        "FEEDBACK_ROUTER_AUTO_MIGRATE": "false",
    }
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(COMMAND), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    stop_sending = threading.Event()
    sender = threading.Thread(target=_send_until, args=(base_url, auth["forwarder"], stop_sending))
    try:
        wait_for(lambda: _healthy(base_url), timeout=300, explain=lambda: log_path.read_text()[-3000:])
        sender.start()

        def worker_busy() -> bool:  # some items processed while more wait: the worker is at it
            found = list(statuses(settings).values())
            return FeedbackStatus.processed in found and FeedbackStatus.received in found

        wait_for(worker_busy, timeout=300, explain=lambda: str(statuses(settings)))
        workers = _worker_processes(process.pid)
        assert len(workers) == 1  # without Redis, serve runs its worker in a process of its own
        # /metrics of serve counts what its worker process processed
        scraped = httpx.get(f"{base_url}/metrics", headers=auth["admin"], timeout=30).text
        counted = re.search(r"^feedback_router_items_processed_total (\S+)$", scraped, re.MULTILINE)
        assert counted is not None and float(counted[1]) > 0, scraped[:2000]
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)  # a generous bound; `make bench` reports how long it took
        assert not workers[0].is_running()  # stopped with serve, not left behind
        log = log_path.read_text()
        # A graceful stop ends by the signal uvicorn caught (exit status -15); one that overran the
        # deadline is cut (exit status 1, saying so). Either way the process is gone.
        assert process.returncode in (-signal.SIGTERM, 1), log[-3000:]
        assert "Application shutdown complete." in log or "exiting now" in log
    finally:
        stop_sending.set()
        if sender.is_alive():
            sender.join(timeout=30)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _worker_processes(pid: int) -> list[psutil.Process]:
    """The worker processes `serve` started (multiprocessing's resource tracker aside)."""
    return [c for c in psutil.Process(pid).children() if "spawn_main" in " ".join(c.cmdline())]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _send_until(base_url: str, headers: dict[str, str], stop: threading.Event) -> None:
    """Keep up to 20 captures in flight until ``stop`` (at most 5,000); the answers do not matter here."""

    async def send() -> None:
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:

            async def one(n: int) -> None:
                with contextlib.suppress(httpx.HTTPError):  # refused once the service stops
                    await client.post(
                        "/v1/feedback", json={"text": f"Sync fails, case {n}", "source": "forum"}
                    )

            for start in range(0, 5000, 20):
                if stop.is_set():
                    return
                await asyncio.gather(*(one(n) for n in range(start, start + 20)))

    asyncio.run(send())
