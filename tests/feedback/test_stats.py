"""The overview's counts on SQLite and PostgreSQL: UTC days, kinds and sentiment per day, the median
time to a ticket and the totals."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from feedback_router.clusters.models import Cluster
from feedback_router.db import session_scope
from feedback_router.feedback import stats
from feedback_router.feedback.models import Feedback
from feedback_router.tickets.models import Delivery, Ticket

MAY_3 = date(2024, 5, 3)
DAYS = stats.days_until(MAY_3, 3)  # May 1, 2, 3


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, second, tzinfo=UTC)


def item(session, received: datetime, kind: str | None = "bug_report", **values: object) -> Feedback:  # type: ignore[no-untyped-def]
    row = Feedback(
        text=values.pop("text", "the export crashes"), source="forum", received_at=received, kind=kind
    )
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def ticket(session, feedback: Feedback | None = None, **values: object) -> Ticket:  # type: ignore[no-untyped-def]
    row = Ticket(feedback_id=feedback.id if feedback else None, team="product", title="t", body="b", **values)
    session.add(row)
    session.flush()
    return row


def far_from_utc(session) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL, a transaction in UTC+14: the days must stay UTC days all the same. (SET LOCAL:
    a plain SET would stay with the pooled connection and move later tests' clocks.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))


def test_items_are_counted_per_utc_day_and_kind(database_url):
    with session_scope(database_url) as session:
        item(session, at(1, 23, 59, 59))  # the last second of May 1
        item(session, at(2, 0, 0, 1), kind="question")  # the first of May 2
        item(session, at(2, 9), kind="question")
        item(session, at(3, 18), kind=None, status="received")  # not classified yet
        item(session, at(3, 23, 59, 59), kind="praise")
        item(session, datetime(2024, 4, 30, 23, 59, tzinfo=UTC))  # before the period
        item(session, datetime(2024, 5, 4, 0, 0, tzinfo=UTC))  # after it
    with session_scope(database_url) as session:
        far_from_utc(session)
        volume = stats.volume_by_kind(session, DAYS)
    assert volume["bug_report"] == [1, 0, 0]
    assert volume["question"] == [0, 2, 0]
    assert volume["praise"] == [0, 0, 1]
    assert volume["feature_request"] == [0, 0, 0]  # every kind is named, for a stable legend
    assert list(volume)[-1] == stats.UNCLASSIFIED and volume[stats.UNCLASSIFIED] == [0, 0, 1]


def test_sentiment_per_day_and_its_shares_per_day_and_per_week(database_url):
    with session_scope(database_url) as session:
        for hour, sentiment in [(1, "negative"), (2, "negative"), (3, "positive"), (4, None)]:
            item(session, at(1, hour), sentiment=sentiment)
        item(session, at(3, 8), sentiment="neutral")
    with session_scope(database_url) as session:
        far_from_utc(session)
        counts = stats.sentiment_by_day(session, DAYS)
    assert counts == {"negative": [2, 0, 0], "neutral": [0, 0, 1], "positive": [1, 0, 0]}

    starts, daily = stats.shares(counts)
    assert starts == [0, 1, 2]
    assert daily["negative"] == [pytest.approx(200 / 3), None, 0]
    assert daily["neutral"] == [0, None, 100]
    starts, weekly = stats.shares(counts, size=2)  # buckets counted back from the newest: [May 1], [May 2-3]
    assert starts == [0, 1]
    assert weekly["negative"] == [pytest.approx(200 / 3), 0]
    assert weekly["neutral"] == [0, 100]


def test_the_median_time_to_ticket_counts_the_first_delivered_ticket_of_each_item(database_url):
    since = at(1, 0)
    with session_scope(database_url) as session:
        on_board = item(session, at(1, 10))  # board: delivered when written, no delivered_at
        ticket(session, on_board, created_at=at(1, 10, 1))  # 60 s
        in_jira = item(session, at(1, 11))
        ticket(  # written at once, delivered 5 minutes later: the delivery counts
            session,
            in_jira,
            sink="jira",
            destination="jira:FR",
            delivery=Delivery.delivered,
            created_at=at(1, 11),
            delivered_at=at(1, 11, 5),
        )
        twice = item(session, at(1, 12))  # two tickets: the first delivered one counts
        ticket(session, twice, created_at=at(1, 12, 30))
        ticket(
            session,
            twice,
            sink="jira",
            destination="jira:FR",
            delivery=Delivery.delivered,
            created_at=at(1, 12),
            delivered_at=at(1, 12, 10),
        )  # 10 min
        cluster = Cluster(team="product", title="export", size=2)
        session.add(cluster)
        session.flush()
        ticket(
            session,
            sink="jira",
            destination="jira:FR",
            cluster_id=cluster.id,
            delivery=Delivery.delivered,
            created_at=at(2, 9),
            delivered_at=at(2, 10),
        )
        item(session, at(2, 8), cluster_id=cluster.id)  # its report reached Jira in the cluster's issue: 2 h
        item(session, at(2, 11), cluster_id=cluster.id)  # came after the issue: not measured by it
        waiting = item(session, at(1, 13))  # its delivery failed: not measured
        ticket(session, waiting, sink="jira", destination="jira:FR", delivery=Delivery.failed)
        item(session, at(1, 14), team="triage")  # no ticket at all
        old = item(session, at(1, 0) - timedelta(seconds=1))  # before the period
        ticket(session, old, created_at=at(3))
    with session_scope(database_url) as session:
        found = stats.time_to_ticket(session, since)
        totals = stats.totals(session, since)
    assert found.measured == 4  # 60 s, 5 min, 10 min, 2 h
    assert found.median == timedelta(seconds=(300 + 600) / 2)
    assert totals == {"items": 7, "triage": 1, "failed_deliveries": 1}


def test_no_ticket_no_median(database_url):
    with session_scope(database_url) as session:
        item(session, at(1), team="triage")
        assert stats.time_to_ticket(session, at(1, 0)) == stats.TimeToTicket(None, 0)
