"""Group commit for captures: one writer thread per database stores, in one transaction, every item
that arrived while it committed the previous group; each request awaits its own item's commit.

Without it each capture was its own transaction: on SQLite dozens of request threads took turns at
the one write lock (sleeping in SQLite's busy handler between tries), on PostgreSQL each waited for
its own commit's flush to disk. Nothing is acknowledged before it is durable: a request's future is
settled after the commit that holds its row, with the row's id, or with the error that stopped the
commit, which then fails every request of that group (a database error answers 503, see app.py).
"""

import asyncio
import contextlib
import logging
import queue
import threading
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from feedback_router.db import session_scope
from feedback_router.feedback import service
from feedback_router.feedback.service import Capture

log = logging.getLogger(__name__)

MAX_GROUP = 256  # captures in one transaction: bounds a group's commit time under a long queue
STOP_SECONDS = 2.0  # a stopping writer finishes the group it has; `serve` must end within 10 s

Stored = tuple[int, str, bool]  # the item's id, its status, and whether this capture created it
Outcome = Stored | BaseException
Waiting = tuple[Capture, "asyncio.Future[Stored]", asyncio.AbstractEventLoop]


class GroupWriter:
    """Stores captures for one database in groups, on a thread of its own."""

    def __init__(self, database_url: str, max_group: int = MAX_GROUP) -> None:
        self.database_url = database_url
        self.max_group = max_group
        self._queue: queue.SimpleQueue[Waiting | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="feedback-router-capture", daemon=True)
        self._thread.start()

    async def store(self, capture: Capture) -> Stored:
        """Store ``capture`` with the group it joins; returns once that group is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        self._queue.put((capture, future, loop))
        return await future

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Store what is queued, then end the thread (waiting at most STOP_SECONDS)."""
        self._queue.put(None)
        self._thread.join(timeout=STOP_SECONDS)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    waiting = self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    stopping = True
                    break
                group.append(waiting)
            outcomes = self.write([capture for capture, _, _ in group])
            for (_, future, loop), outcome in zip(group, outcomes, strict=True):
                # RuntimeError: the request's event loop is gone (a test client's), nobody waits
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, future, outcome)

    def write(self, captures: list[Capture]) -> list[Outcome]:
        """Store ``captures`` in one transaction; an outcome per capture, an exception where it failed."""
        try:
            with session_scope(self.database_url) as session:
                return list(service.create_many(session=session, captures=captures))
        except (IntegrityError, DataError):
            # Another process stored one of the keys first, or the database refuses a value: one by
            # one, so that one item cannot cost the others theirs.
            return [self._write_one(capture) for capture in captures]
        except Exception as exc:  # noqa: BLE001 - not swallowed: every request of the group answers with it
            log.warning("could not store %d captures: %s", len(captures), exc)
            return [exc] * len(captures)

    def _write_one(self, capture: Capture) -> Outcome:
        try:
            with session_scope(self.database_url) as session:
                item, created = service.create(
                    session=session,
                    feedback_in=capture.feedback_in,
                    idempotency_key=capture.idempotency_key,
                    forwarded_by=capture.forwarded_by,
                )
                return item.id, item.status, created
        except Exception as exc:  # noqa: BLE001 - handed to the request, which answers with it
            return exc


def _settle(future: "asyncio.Future[Stored]", outcome: Any) -> None:
    if future.done():  # the request was cancelled (its client went away); the item is stored anyway
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


_writers: dict[str, GroupWriter] = {}
_writers_lock = threading.Lock()


def writer(database_url: str) -> GroupWriter:
    """The running writer for ``database_url``, started on first use."""
    with _writers_lock:
        found = _writers.get(database_url)
        if found is None or not found.alive():
            found = _writers[database_url] = GroupWriter(database_url)
        return found


def stop_writers() -> None:
    """Finish the queued captures and end every writer (the service is stopping)."""
    with _writers_lock:
        stopping = list(_writers.values())
        _writers.clear()
    for each in stopping:
        each.stop()
