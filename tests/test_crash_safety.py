"""Nothing accepted is lost and no item gets two tickets: real worker processes, killed for real.

Each test starts ``feedback-router worker`` (Celery on the real Redis) as a child process on
the test database, SQLite and PostgreSQL, and kills every process it started when it ends.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from feedback_router.app import create_app
from feedback_router.config import Settings
from feedback_router.db import session_scope
from feedback_router.feedback.importer import import_file
from feedback_router.feedback.models import Feedback, JobStatus, ProcessingJob
from feedback_router.tickets.models import Ticket

pytestmark = [pytest.mark.slow, pytest.mark.redis]

COMMAND = Path(sys.executable).with_name("feedback-router")
TEMPLATES = [
    "The app crashes when I open the settings page, report {n}",
    "How can I export my data to a spreadsheet? Asking for team {n}",
    "Thank you for the wonderful update, it made my day {n}",
    "Please add a calendar view to the planner, idea {n}",
    "Sync has been broken since version {n}, nothing uploads",
    "zx {n} qq",
]


@contextmanager
def worker_process(
    tmp_path: Path, name: str, *options: str, **settings: object
) -> Iterator[subprocess.Popen[bytes]]:
    """``feedback-router worker [options]`` in its own process group; the whole group is killed at the end."""
    workdir = tmp_path / name  # the worker's log and, through TMPDIR, its beat schedule
    workdir.mkdir()
    env = {
        **os.environ,
        **{f"FEEDBACK_ROUTER_{k.upper()}": str(v) for k, v in settings.items()},
        "TMPDIR": str(workdir),
    }
    with (workdir / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [str(COMMAND), "worker", *options],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and the beat process it forked, as a power cut would."""
    with suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def log_tail(tmp_path: Path, name: str) -> str:
    return (tmp_path / name / "worker.log").read_text(errors="replace")[-3000:]


def processed_count(settings: Settings) -> int:
    with session_scope(settings.database_url) as session:
        originals = Feedback.parent_id.is_(None)  # parts of mixed messages are items of their own
        return session.scalar(select(func.count()).where(Feedback.status == "processed", originals)) or 0


def wait_for(condition: Callable[[], bool], timeout: float, explain: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s: {explain()}")
        time.sleep(0.05)


def import_items(settings: Settings, tmp_path: Path, count: int) -> None:
    path = tmp_path / "feedback.jsonl"
    lines = (
        json.dumps({"text": TEMPLATES[n % len(TEMPLATES)].format(n=n), "source": "forum"})
        for n in range(count)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_file(database_url=settings.database_url, path=path)
    assert (summary.imported, summary.rejected) == (count, [])


def test_worker_killed_mid_batch_loses_nothing_and_duplicates_no_ticket(settings, redis_url, tmp_path):
    total = 240
    import_items(settings, tmp_path, total)
    worker_settings = {"redis_url": redis_url, "job_lease_seconds": 3, "batch_size": 16}

    with worker_process(tmp_path, "first", **worker_settings) as first:
        wait_for(
            lambda: processed_count(settings) >= 48,
            timeout=90,
            explain=lambda: (
                f"the first worker processed {processed_count(settings)}\n{log_tail(tmp_path, 'first')}"
            ),
        )
        kill(first)
    at_kill = processed_count(settings)
    assert at_kill < total, "the worker finished before it could be killed; import more items"
    with session_scope(settings.database_url) as session:
        orphaned = set(
            session.scalars(select(ProcessingJob.id).where(ProcessingJob.status == JobStatus.running))
        )

    with worker_process(tmp_path, "second", **worker_settings):
        wait_for(
            lambda: processed_count(settings) == total,
            timeout=90,
            explain=lambda: (
                f"{processed_count(settings)} of {total} processed\n{log_tail(tmp_path, 'second')}"
            ),
        )

    with session_scope(settings.database_url) as session:
        jobs = session.execute(select(ProcessingJob.id, ProcessingJob.status, ProcessingJob.attempts)).all()
        assert {status for _, status, _ in jobs} == {JobStatus.done}
        # Leases the dead worker held ran out and were taken by the second worker.
        assert {attempts for job_id, _, attempts in jobs if job_id in orphaned} <= {2}
        routed = set(session.scalars(select(Feedback.id).where(Feedback.team != "triage")))
        per_item = dict(
            session.execute(select(Ticket.feedback_id, func.count()).group_by(Ticket.feedback_id)).all()
        )
    assert set(per_item) == routed
    assert set(per_item.values()) == {1}
    assert len(routed) > total // 2


def test_capture_with_redis_unreachable_answers_202_and_a_worker_processes_it_later(
    configure, auth, redis_url, tmp_path, caplog
):
    settings = configure(redis_url="redis://127.0.0.1:1/0")
    caplog.set_level(logging.WARNING, logger="feedback_router.worker")
    with TestClient(create_app()) as client:
        started = time.monotonic()
        response = client.post(
            "/v1/feedback", json={"text": "The app crashes when I upload a photo"}, headers=auth["forwarder"]
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 202
        assert elapsed < 3, f"capture waited {elapsed:.1f} s for the queue"
        assert "could not reach the queue" in caplog.text
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["checks"]["queue"].startswith("error: ")
    feedback_id = response.json()["id"]

    with worker_process(tmp_path, "later", redis_url=redis_url):  # its start-up sweep finds the item
        wait_for(
            lambda: processed_count(settings) == 1,
            timeout=90,
            explain=lambda: log_tail(tmp_path, "later"),
        )
    with session_scope(settings.database_url) as session:
        item = session.get_one(Feedback, feedback_id)
        assert (item.status, item.team) == ("processed", "product")
        assert session.scalar(select(func.count()).where(Ticket.feedback_id == feedback_id)) == 1
