"""What the cluster pages show beside a cluster's own row: its reports per day, this week against
last week, its languages and sentiment mix, its key phrases, and the clusters that grew most.

Counted in SQL for many clusters at once (the list shows a hundred); the weeks are the seven days
before ``now`` and the seven before those, as in ``service.summary``. A report counts when it was
written (``Feedback.written_at``), so imported history lands in its own weeks.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from feedback_router.clusters import service
from feedback_router.clusters.models import Cluster, ClusterReturn, ClusterStatus
from feedback_router.db import utcnow
from feedback_router.feedback.models import Feedback
from feedback_router.feedback.stats import day_of, days_until, start_of, today, written_in
from feedback_router.tickets.models import Ticket

TREND_DAYS = service.TREND_DAYS
SPARK_DAYS = 28


@dataclass
class Trend:
    """This week's reports against last week's: the direction and, where it means something, how much."""

    this_week: int = 0
    last_week: int = 0

    @property
    def direction(self) -> str:
        """steady | new (none last week) | up | down"""
        if self.this_week == self.last_week:
            return "steady"
        if self.last_week == 0:
            return "new"
        return "up" if self.this_week > self.last_week else "down"

    @property
    def change(self) -> int | None:
        """The change in percent of last week, when last week had any."""
        if not self.last_week:
            return None
        return round(abs(self.this_week - self.last_week) * 100 / self.last_week)


@dataclass
class ClusterFacts:
    """A cluster's counts as the list shows them."""

    trend: Trend = field(default_factory=Trend)
    daily: list[int] = field(default_factory=list)  # reports per day, the last SPARK_DAYS days
    languages: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    tickets: list[Ticket] = field(default_factory=list)
    came_back: ClusterReturn | None = None  # the latest time a new report brought it back after a fix


def facts(
    *, session: Session, cluster_ids: Sequence[int], now: datetime | None = None, days: int = SPARK_DAYS
) -> dict[int, ClusterFacts]:
    """Trend, reports per day, languages, sentiment, tickets and latest return of each cluster, in six
    queries."""
    now = now or utcnow()
    found = {cluster_id: ClusterFacts(daily=[0] * days) for cluster_id in cluster_ids}
    if not cluster_ids:
        return found
    mine = Feedback.cluster_id.in_(cluster_ids)
    week = timedelta(days=TREND_DAYS)
    this_week = func.sum(case((written_in(now - week, now), 1), else_=0))
    last_week = func.sum(case((written_in(now - 2 * week, now - week), 1), else_=0))
    for cluster_id, this, last in session.execute(
        select(Feedback.cluster_id, this_week, last_week)
        .where(mine, written_in(now - 2 * week, now))
        .group_by(Feedback.cluster_id)
    ):
        found[cluster_id].trend = Trend(this_week=int(this or 0), last_week=int(last or 0))
    calendar = days_until(today(now), days)
    index = {d.isoformat(): i for i, d in enumerate(calendar)}
    day = day_of(session, Feedback.written_at).label("day")
    for cluster_id, bucket, count in session.execute(
        select(Feedback.cluster_id, day, func.count())
        .where(mine, Feedback.written_at >= start_of(calendar[0]))
        .group_by(Feedback.cluster_id, day)
    ):
        if bucket in index:
            found[cluster_id].daily[index[bucket]] += count  # type: ignore[index]  # in cluster_ids
    for name, column, unknown in (
        ("languages", Feedback.language, "und"),
        ("sentiment", Feedback.sentiment, "unknown"),
    ):
        for cluster_id, value, count in session.execute(
            select(Feedback.cluster_id, column, func.count())
            .where(mine)
            .group_by(Feedback.cluster_id, column)
        ):
            mix = getattr(found[cluster_id], name)  # type: ignore[index]  # in cluster_ids
            mix[value or unknown] = mix.get(value or unknown, 0) + count
    for ticket in session.scalars(
        select(Ticket).where(Ticket.cluster_id.in_(cluster_ids)).order_by(Ticket.id)
    ):
        found[ticket.cluster_id].tickets.append(ticket)  # type: ignore[index]
    for back in session.scalars(
        select(ClusterReturn).where(ClusterReturn.cluster_id.in_(cluster_ids)).order_by(ClusterReturn.id)
    ):
        found[back.cluster_id].came_back = back  # type: ignore[index]  # the newest stays
    for one in found.values():
        one.languages = dict(sorted(one.languages.items(), key=lambda kv: (-kv[1], kv[0])))
        one.sentiment = dict(sorted(one.sentiment.items(), key=lambda kv: (-kv[1], kv[0])))
    return found


def key_phrases(*, session: Session, cluster: Cluster, k: int = 6) -> list[str]:
    """The words and phrases that set the cluster apart from the other open clusters of its team."""
    from classifiers.clustering import key_phrases as phrases_of

    others = session.scalars(
        select(Cluster.id).where(
            Cluster.team == cluster.team, Cluster.status == ClusterStatus.open, Cluster.id != cluster.id
        )
    ).all()
    texts = [[m.text for m in service.items(session, cluster_id)] for cluster_id in [cluster.id, *others]]
    return phrases_of(texts, k=k)[0] if texts[0] else []


@dataclass(frozen=True)
class TopCluster:
    """A cluster with its reports in a period, in the period before, and per day of the period."""

    cluster: Cluster
    count: int
    previous: int
    daily: list[int]

    @property
    def trend(self) -> Trend:
        return Trend(this_week=self.count, last_week=self.previous)


def top(
    *, session: Session, since: datetime, days: int, limit: int = 10, now: datetime | None = None
) -> list[TopCluster]:
    """The clusters with the most reports written since ``since`` (a ``days`` long period up to
    ``now``), most first, with the previous period's count for the trend."""
    now = now or utcnow()
    previous_start = since - (now - since)
    recent = func.sum(case((written_in(since, now), 1), else_=0)).label("recent")
    before = func.sum(case((written_in(previous_start, since), 1), else_=0))
    rows = session.execute(
        select(Feedback.cluster_id, recent, before)
        .where(Feedback.cluster_id.is_not(None), written_in(previous_start, now))
        .group_by(Feedback.cluster_id)
        .having(func.sum(case((written_in(since, now), 1), else_=0)) > 0)
        .order_by(recent.desc(), Feedback.cluster_id)
        .limit(limit)
    ).all()
    ids = [row[0] for row in rows]
    clusters = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.id.in_(ids)))}
    calendar = days_until(today(now), days)
    index = {d.isoformat(): i for i, d in enumerate(calendar)}
    daily = {cluster_id: [0] * days for cluster_id in ids}
    day = day_of(session, Feedback.written_at).label("day")
    if ids:
        for cluster_id, bucket, count in session.execute(
            select(Feedback.cluster_id, day, func.count())
            .where(Feedback.cluster_id.in_(ids), Feedback.written_at >= start_of(calendar[0]))
            .group_by(Feedback.cluster_id, day)
        ):
            if bucket in index:
                daily[cluster_id][index[bucket]] += count
    return [
        TopCluster(
            cluster=clusters[cluster_id],
            count=int(count or 0),
            previous=int(previous or 0),
            daily=daily[cluster_id],
        )
        for cluster_id, count, previous in rows
    ]


def teams(*, session: Session) -> list[str]:
    """The teams that have clusters."""
    return sorted(session.scalars(select(Cluster.team).distinct()).all())


def merged_from(*, session: Session, cluster_id: int) -> Sequence[Cluster]:
    """The clusters merged into this one."""
    return session.scalars(
        select(Cluster).where(Cluster.merged_into_id == cluster_id).order_by(Cluster.id)
    ).all()
