"""Group commit of captures (feedback.capture): many requests, one transaction, and nothing answered
before its row is committed. On SQLite and PostgreSQL."""

import asyncio
import sqlite3
import threading
import time

import httpx
import pytest
from sqlalchemy import select, text

from feedback_router.app import create_app
from feedback_router.db import get_engine, session_scope
from feedback_router.errors import InvalidInput
from feedback_router.feedback import service
from feedback_router.feedback.capture import GroupWriter
from feedback_router.feedback.models import Feedback, ProcessingJob, Source
from feedback_router.feedback.schemas import FeedbackCreate
from feedback_router.feedback.service import Capture


def stored(url: str) -> dict[int, str]:
    """Every stored item's id and text, and (asserted) exactly one processing job each."""
    with session_scope(url) as session:
        items: dict[int, str] = {i: t for i, t in session.execute(select(Feedback.id, Feedback.text))}
        jobs = list(session.scalars(select(ProcessingJob.feedback_id)))
    assert sorted(jobs) == sorted(items)
    return items


@pytest.fixture
def group_writer(settings):  # type: ignore[no-untyped-def]
    writer = GroupWriter(settings.database_url)
    yield writer
    writer.stop()


def capture(text: str, *, key: str | None = None, external_id: str | None = None) -> Capture:
    return Capture(FeedbackCreate(text=text, source=Source.forum, external_id=external_id), key, "test")


def test_a_group_stores_each_new_item_once_and_its_repeats_get_the_first_id(settings, group_writer):
    with session_scope(settings.database_url) as session:
        old = FeedbackCreate(text="old")
        before, _ = service.create(session=session, feedback_in=old, idempotency_key="k0")

    outcomes = group_writer.write(
        [
            capture("one", key="k1"),
            capture("two", external_id="post-2"),
            capture("one again", key="k1"),
            capture("three"),
            capture("two again", external_id="post-2"),
            capture("old again", key="k0"),
        ]
    )

    one, two, one_again, three, two_again, old_again = outcomes
    assert [o[2] for o in outcomes] == [True, True, False, True, False, False]  # type: ignore[index]
    assert one_again == (one[0], "received", False)  # type: ignore[index]
    assert two_again == (two[0], "received", False)  # type: ignore[index]
    assert old_again == (before.id, "received", False)
    assert stored(settings.database_url) == {
        before.id: "old",
        one[0]: "one",  # type: ignore[index]
        two[0]: "two",  # type: ignore[index]
        three[0]: "three",  # type: ignore[index]
    }


def test_a_value_the_database_refuses_costs_only_its_own_item_in_a_group(settings, group_writer):
    """PostgreSQL refuses NUL in text; an item built without validation stands for any value the
    schema would let through by mistake. The group is then stored one by one."""
    unchecked = FeedbackCreate.model_construct(
        text="a\x00b", source=Source.api, author=None, url=None, external_id=None, created_at=None,
        language=None, metadata={},
    )  # fmt: skip
    good_before, refused, good_after = group_writer.write(
        [capture("good before"), Capture(unchecked), capture("good after")]
    )

    items = stored(settings.database_url)
    assert items[good_before[0]] == "good before"  # type: ignore[index]
    assert items[good_after[0]] == "good after"  # type: ignore[index]
    if settings.database_url.startswith("postgresql"):
        assert isinstance(refused, InvalidInput)
        assert len(items) == 2
    else:  # SQLite stores what it is given: the schema is what keeps NUL out
        assert len(items) == 3


async def _post_all(bodies: list[tuple[dict[str, str], dict[str, str]]]) -> list[httpx.Response]:
    """The requests at once, on one event loop: they wait for the writer together."""
    transport = httpx.ASGITransport(app=create_app(start_worker=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://service", timeout=60) as client:
        return await asyncio.gather(*(client.post("/v1/feedback", json=b, headers=h) for b, h in bodies))


def test_concurrent_captures_are_each_answered_after_their_own_row_is_committed(settings, auth):
    # 28 at once: under the admission limit (32), so that each is stored
    bodies = [({"text": f"Sync fails, case {n}"}, auth["forwarder"]) for n in range(20)]
    bodies += [({"text": "Sent twice"}, {**auth["forwarder"], "Idempotency-Key": "twice"})] * 8

    answers = asyncio.run(_post_all(bodies))

    assert sorted(a.status_code for a in answers) == [200] * 7 + [202] * 21
    items = stored(settings.database_url)
    assert {a.json()["id"] for a in answers} == set(items)  # every answer names a stored row
    assert {items[a.json()["id"]] for a in answers[20:]} == {"Sent twice"}  # one row for the key


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's one write lock fails it
def test_a_failed_commit_fails_every_request_of_its_group_with_a_503_and_stores_none(settings, auth):
    """SQLite's write lock held by another process past the busy timeout: the group's insert fails.
    (PostgreSQL out of reach fails captures the same way: test_database_down.)"""
    holder = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        # 20 at once: under the admission limit, so that each waits for the writer
        answers = asyncio.run(_post_all([({"text": f"case {n}"}, auth["forwarder"]) for n in range(20)]))
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    for answer in answers:
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
        assert answer.json() == {"detail": "the database is busy: try again shortly"}
    assert stored(settings.database_url) == {}


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite has one writer: none waits
def test_a_key_a_concurrent_transaction_stores_first_gets_its_item_and_the_group_the_rest(
    settings, group_writer
):
    """The group's insert waits on the other transaction's uncommitted row, then fails on its key:
    the captures are stored one by one, the repeat finding the other's item."""
    postgres_url = settings.database_url
    other = get_engine(postgres_url).connect()
    other_tx = other.begin()
    other_id = other.scalar(
        text("INSERT INTO feedback (text, source, idempotency_key, received_at, status, metadata) "
             "VALUES ('first', 'api', 'raced', now(), 'received', '{}') RETURNING id")
    )  # fmt: skip
    other.execute(
        text("INSERT INTO processing_jobs (feedback_id, status, attempts, available_at, updated_at) "
             "VALUES (:id, 'pending', 0, now(), now())"),
        {"id": other_id},
    )  # fmt: skip
    outcomes: list[object] = []
    writing = threading.Thread(
        target=lambda: outcomes.extend(group_writer.write([capture("second", key="raced"), capture("new")]))
    )
    writing.start()
    try:
        deadline = time.monotonic() + 60
        with get_engine(postgres_url).connect() as watcher:  # until the group's insert waits on our row
            while not watcher.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
                assert time.monotonic() < deadline, "the group's insert never waited on the other row"
                time.sleep(0.05)
        other_tx.commit()
    finally:
        if other_tx.is_active:
            other_tx.rollback()
        other.close()
        writing.join(timeout=60)

    raced, new = outcomes
    assert raced == (other_id, "received", False)
    assert new[2] is True  # type: ignore[index]
    assert stored(postgres_url) == {other_id: "first", new[0]: "new"}  # type: ignore[index]
