"""Counts over time for the overview: volume by kind, sentiment, time to a ticket, totals.

History counts reports (posts) on the day they were written (``Feedback.written_at``): imported
history spreads over its own days, and a mixed post split into parts counts once, as the post it
is. Operations (time to a ticket, what waits in triage) go by arrival and by the routed items.
Days are UTC days, bucketed in SQL (``day_of``) on SQLite and PostgreSQL alike; only the median,
which SQLite cannot compute, is taken in Python from the per-item durations.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from classifiers.labels import KINDS, SENTIMENTS
from feedback_router.db import utcnow
from feedback_router.feedback.models import Feedback
from feedback_router.routing.rules import TRIAGE
from feedback_router.tickets.models import Delivery, Ticket

UNCLASSIFIED = "unclassified"  # an item the model has not labelled (yet, or it failed)


def day_of(session: Session, column: Any) -> ColumnElement[str]:
    """The UTC day of a timestamp column as ``YYYY-MM-DD``, in the session's SQL dialect.

    SQLite stores UTC text (``db.UTCDateTime``); PostgreSQL's ``timestamptz`` is turned to UTC
    first, whatever the connection's time zone. The constants are literal so that PostgreSQL
    sees the grouped expression and the selected one as the same.
    """
    if session.get_bind().dialect.name == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        return func.to_char(utc, literal_column("'YYYY-MM-DD'"), type_=String)
    return func.strftime(literal_column("'%Y-%m-%d'"), column, type_=String)


def days_until(today: date, count: int) -> list[date]:
    """``count`` days ending with ``today``, oldest first."""
    return [today - timedelta(days=count - 1 - i) for i in range(count)]


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def written_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Reports written in ``[start, end)``: the one test of "in this period" for every count of history."""
    return (Feedback.written_at >= start) & (Feedback.written_at < end)


REPORTS = Feedback.parent_id.is_(None)  # posts as they came, not the parts a mixed one was split into


def per_day(
    session: Session, column: Any, days: Sequence[date], *where: ColumnElement[bool]
) -> dict[str, list[int]]:
    """Reports written on each of ``days``, per value of ``column`` (None as UNCLASSIFIED)."""
    day = day_of(session, Feedback.written_at).label("day")
    rows = session.execute(
        select(day, column, func.count())
        .where(REPORTS, written_in(start_of(days[0]), start_of(days[-1]) + timedelta(days=1)))
        .where(*where)
        .group_by(day, column)
    ).all()
    index = {d.isoformat(): i for i, d in enumerate(days)}
    found: dict[str, list[int]] = {}
    for bucket, value, count in rows:
        if bucket in index:
            found.setdefault(value or UNCLASSIFIED, [0] * len(days))[index[bucket]] += count
    return found


def volume_by_kind(session: Session, days: Sequence[date]) -> dict[str, list[int]]:
    """Reports per day and kind, every kind named (zeros included) in the labels' order; the
    unclassified ones last, when there are any."""
    found = per_day(session, Feedback.kind, days)
    ordered = {kind: found.pop(kind, [0] * len(days)) for kind in KINDS}
    unclassified = found.pop(UNCLASSIFIED, None)
    ordered.update(sorted(found.items()))  # a kind the labels no longer know
    if unclassified is not None:
        ordered[UNCLASSIFIED] = unclassified
    return ordered


def sentiment_by_day(session: Session, days: Sequence[date]) -> dict[str, list[int]]:
    """Reports per day and sentiment (negative, neutral, positive); unlabelled ones are left out."""
    found = per_day(session, Feedback.sentiment, days, Feedback.sentiment.is_not(None))
    return {name: found.get(name, [0] * len(days)) for name in SENTIMENTS}


def shares(counts: dict[str, list[int]], size: int = 1) -> tuple[list[int], dict[str, list[float | None]]]:
    """Each name's share in percent of each bucket of ``size`` consecutive entries, the buckets
    counted back from the last entry (so the newest is whole); None where a bucket has no items.
    Returns the index of each bucket's first entry and the shares."""
    length = len(next(iter(counts.values()), []))
    starts = list(range(length - size, -size, -size))[::-1]
    summed = {name: [sum(values[max(s, 0) : s + size]) for s in starts] for name, values in counts.items()}
    totals = [sum(values[i] for values in summed.values()) for i in range(len(starts))]
    result = {
        name: [100 * v / total if total else None for v, total in zip(values, totals, strict=True)]
        for name, values in summed.items()
    }
    return [max(s, 0) for s in starts], result


@dataclass(frozen=True)
class TimeToTicket:
    """The median time from an item's arrival to its first ticket, over ``measured`` items."""

    median: timedelta | None
    measured: int


def time_to_ticket(session: Session, since: datetime) -> TimeToTicket:
    """The median time from arrival (``received_at``) to the first delivered ticket, for the items
    received since ``since``.

    A ticket's moment is its ``delivered_at``; a board ticket has none (it is delivered when it is
    written), so its ``created_at`` counts. An item whose report went into its cluster's Jira issue
    instead of one of its own counts that issue when it was delivered after the item arrived.
    Items with no delivered ticket (triage, pending or failed deliveries) are not measured.
    """
    delivered = Ticket.delivery == Delivery.delivered
    moment = func.coalesce(Ticket.delivered_at, Ticket.created_at)
    own = (
        select(Feedback.id.label("item"), Feedback.received_at.label("received"), moment.label("moment"))
        .join(Ticket, Ticket.feedback_id == Feedback.id)
        .where(Feedback.received_at >= since, delivered)
    )
    of_cluster = (
        select(Feedback.id, Feedback.received_at, Ticket.delivered_at)
        .join(Ticket, Ticket.cluster_id == Feedback.cluster_id)
        .where(Feedback.received_at >= since, delivered, Ticket.delivered_at >= Feedback.received_at)
    )
    moments = union_all(own, of_cluster).subquery()
    rows = session.execute(
        select(moments.c.item, func.min(moments.c.received), func.min(moments.c.moment)).group_by(
            moments.c.item
        )
    ).all()
    waits = [max((first - received).total_seconds(), 0.0) for _, received, first in rows]
    return TimeToTicket(timedelta(seconds=statistics.median(waits)) if waits else None, len(waits))


def totals(session: Session, since: datetime) -> dict[str, int]:
    """Reports written since ``since``; items waiting in triage and failed deliveries, now."""
    return {
        "items": session.scalar(select(func.count()).where(REPORTS, Feedback.written_at >= since)) or 0,
        "triage": session.scalar(select(func.count()).where(Feedback.team == TRIAGE)) or 0,
        "failed_deliveries": session.scalar(select(func.count()).where(Ticket.delivery == Delivery.failed))
        or 0,
    }


def today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(UTC).date()
