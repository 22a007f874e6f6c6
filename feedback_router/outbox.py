"""One outbox for work that must happen once, whatever fails on the way: processing jobs, ticket
deliveries, comments on tickets and author notices all go through it.

A row is written in the transaction that decided the work. A worker claims due rows with a fresh
lease token and counts the attempt *before* doing it (``Outbox.claim``), so a worker that dies leaves
a row that is taken again when its lease runs out, known to have been tried; a row whose worker died
on every attempt is given up (``Outbox.give_up``) rather than retaken forever. Only the lease holder
finishes a row (``Outbox.held``): a worker that wakes up after its lease ran out changes nothing.
A failed attempt is retried with exponential backoff, jitter and a cap, honouring an outside system's
``Retry-After``, up to a number of attempts; a permanent failure ends at once (``after_failure``).

``Outbox.send_due`` is the whole loop for work that calls an outside system: claim, read what to send
while holding the lease, call out with no session held, record the outcome if the lease still holds.
"""

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from feedback_router import metrics
from feedback_router.config import Settings
from feedback_router.db import session_scope, utcnow
from integrations.errors import IntegrationError, RetryableIntegrationError

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
GAVE_UP = "gave up after {} attempts: the worker stopped during each"

Row = TypeVar("Row")
Out = TypeVar("Out")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Claim(Generic[Row]):
    """A leased row of an outbox: its id, the attempt this is (counted already) and the lease's token."""

    id: int
    attempts: int
    token: str


@dataclass(frozen=True)
class NextAttempt:
    """What follows a failed attempt: another at ``at``, or none (``at`` None); ``reason`` says why."""

    at: datetime | None
    reason: str


def backoff(settings: Settings, attempts: int, retry_after: float | None = None) -> float:
    """Seconds until the next attempt: what the outside system asked for, else exponential with jitter,
    at most ``MAX_BACKOFF_SECONDS``."""
    if retry_after is not None:
        return retry_after
    delay = settings.retry_base_seconds * 2 ** (attempts - 1) * random.uniform(0.5, 1.5)
    return min(delay, MAX_BACKOFF_SECONDS)


def after_failure(settings: Settings, attempts: int, error: Exception, max_attempts: int) -> NextAttempt:
    """Passing failures (and unexpected errors) are retried with backoff up to ``max_attempts``; a
    permanent one ends at once with the outside system's reason."""
    text = str(error) or type(error).__name__
    passing = not isinstance(error, IntegrationError) or isinstance(error, RetryableIntegrationError)
    if passing and attempts < max_attempts:
        delay = backoff(settings, attempts, getattr(error, "retry_after", None))
        return NextAttempt(
            utcnow() + timedelta(seconds=delay),
            f"attempt {attempts} failed, retrying in {delay:.0f} s: {text}",
        )
    return NextAttempt(None, f"failed after {attempts} attempt(s): {text}" if passing else text)


@dataclass(frozen=True)
class States:
    """The values of an outbox's state column: due (at ``available_at``), leased, done, failed for good."""

    pending: str
    leased: str
    done: str
    failed: str


@dataclass(frozen=True)
class Outbox(Generic[Row]):
    """An outbox table and the names of its columns and states.

    The table has ``id``, ``attempts``, ``available_at`` (when the next attempt is due), ``lease_token``
    and ``last_error`` columns, a state column (``state``) and a column where a lease ends (``lease_end``).
    A claimed row is in state ``states.leased``, which may be ``states.pending`` itself where the table
    has no state of its own for it (author notices: their lease ends at ``available_at``, so a lost one
    is simply due).
    """

    model: type[Row]
    name: str  # in metrics: "processing", "deliveries", ...
    noun: str  # in logs: "delivery of ticket" 7
    state: str
    states: States
    lease_end: str = "leased_until"
    order_by: tuple[str, ...] = ("available_at", "id")

    def _column(self, name: str) -> Any:
        return getattr(self.model, name)

    def _lost(self, now: datetime) -> ColumnElement[bool]:
        """Leased by a worker whose lease ran out: it vanished."""
        return and_(
            self._column(self.state) == self.states.leased,
            self._column("lease_token").is_not(None),
            self._column(self.lease_end) <= now,
        )

    def _due(self, now: datetime) -> ColumnElement[bool]:
        waiting = and_(self._column(self.state) == self.states.pending, self._column("available_at") <= now)
        return or_(waiting, self._lost(now))

    def any_due(self, session: Session) -> bool:
        """Whether a row is due: one read, so that a sweep with nothing to do writes nothing."""
        return session.scalar(select(self._column("id")).where(self._due(utcnow())).limit(1)) is not None

    def give_up(self, session: Session, *, max_attempts: int) -> list[int]:
        """Fail the rows whose worker vanished on each of their ``max_attempts`` attempts (one that kills
        its worker, out of memory say, would otherwise be retaken forever); returns their ids."""
        model = self._column
        reason = GAVE_UP.format(max_attempts)
        ids = list(
            session.scalars(
                update(self.model)
                .where(self._lost(utcnow()), model("attempts") >= max_attempts)
                .values({"lease_token": None, "last_error": reason, self.state: self.states.failed})
                .returning(model("id"))
            )
        )
        if ids:
            log.error("gave up on %d %s(s) whose worker kept stopping: %s", len(ids), self.noun, ids)
            metrics.FAILURES.labels(outbox=self.name, reason="worker_lost").inc(len(ids))
        return ids

    def claim(self, session: Session, *, limit: int, lease_seconds: float) -> list[Claim[Row]]:
        """Lease up to ``limit`` due rows, counting the attempt: pending ones whose time came, and leased
        ones whose worker vanished. Rows another worker is claiming at the same moment are skipped
        (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer), taken in ``order_by`` order;
        claims in id order."""
        now = utcnow()
        due = self._due(now)
        order = [self._column(name) for name in self.order_by]
        ids = (
            select(self._column("id"))
            .where(due)
            .order_by(*order)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        token = uuid.uuid4().hex
        values = {
            "lease_token": token,
            "attempts": self._column("attempts") + 1,
            self.state: self.states.leased,
            self.lease_end: now + timedelta(seconds=lease_seconds),
        }
        rows = session.execute(
            update(self.model)
            .where(self._column("id").in_(ids.scalar_subquery()))
            .values(values)
            .returning(self._column("id"), self._column("attempts"))
        ).all()
        # RETURNING keeps no order; ids in arrival order (online clustering sees items as they came).
        return [Claim(id=row[0], attempts=row[1], token=token) for row in sorted(rows)]

    def held(self, session: Session, claim: Claim[Row]) -> Row | None:
        """The claimed row while the claim still holds its lease, else None."""
        return session.scalar(
            select(self.model).where(
                self._column("id") == claim.id,
                self._column("lease_token") == claim.token,
                self._column(self.state) == self.states.leased,
            )
        )

    def succeed(self, row: Row) -> None:
        """The held row's work is done; the caller stores what came of it."""
        held: Any = row  # every outbox table has these columns (the class docstring)
        setattr(held, self.state, self.states.done)
        held.lease_token, held.last_error = None, None

    def fail(self, row: Row, then: NextAttempt) -> None:
        """The held row's attempt failed: due again at ``then.at``, or failed for good."""
        held: Any = row
        held.lease_token, held.last_error = None, then.reason
        if then.at is None:
            setattr(held, self.state, self.states.failed)
        else:
            setattr(held, self.state, self.states.pending)
            held.available_at = then.at

    def send_due(
        self,
        *,
        settings: Settings,
        read: Callable[[Session, Row], Out | None],
        send: Callable[[Out, int], Result],
        record: Callable[[Row, Result], None],
        limit: int,
    ) -> int:
        """Claim due rows and do each one's call; returns how many were claimed.

        ``read`` takes what to send from the held row (None: nothing to send, the lease runs out);
        ``send`` calls out with it and the attempt's number (an attempt after the first looks up what an
        earlier one may have made), raising on failure; ``record`` stores its result on the held row.
        """
        max_attempts = settings.delivery_max_attempts
        with session_scope(settings.database_url) as session:
            if not self.any_due(session):
                return 0
            self.give_up(session, max_attempts=max_attempts)
            claims = self.claim(session, limit=limit, lease_seconds=settings.job_lease_seconds)
        for claim in claims:
            with session_scope(settings.database_url) as session:
                row = self.held(session, claim)
                out = read(session, row) if row is not None else None
            if out is None:
                continue
            try:
                outcome: Result | Exception = send(out, claim.attempts)
            except IntegrationError as exc:
                outcome = exc
            except Exception as exc:  # a bug or an unmapped library error: retried, never silently dropped
                log.exception("%s %s raised", self.noun, claim.id)
                outcome = exc
            with session_scope(settings.database_url) as session:
                row = self.held(session, claim)
                if row is None:  # our lease ran out and another worker took over (or it was withdrawn)
                    continue
                if not isinstance(outcome, Exception):
                    self.succeed(row)
                    record(row, outcome)
                    continue
                metrics.failed(self.name, outcome)
                then = after_failure(settings, claim.attempts, outcome, max_attempts)
                self.fail(row, then)
                log.warning(
                    "%s %s: %s",
                    self.noun,
                    claim.id,
                    then.reason,
                    extra={"feedback_id": getattr(row, "feedback_id", None)},
                )
        return len(claims)
