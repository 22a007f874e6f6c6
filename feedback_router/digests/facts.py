"""What a digest says, gathered from feedback, clusters and tickets (no wording here: see render).

Definitions, for one community (the items' ``metadata["community"]``; no community: every item) and
a period ``[start, end)``. An item is dated by when it was written (``Feedback.written_at``: its
source's time, else when it reached us), as the cluster pages and the overview date it. A *subject*
is a cluster, or an item that is in no cluster; items in a cluster are always told through their
cluster.

- **Top themes**: clusters with the community's items dated in the period, by that number; the
  previous count is the same for the period of equal length just before (the trend).
- **Being worked on**: subjects with an open ticket whose tracker status is set and is not one that
  means "not started" (``DIGEST_NOT_STARTED_STATUSES``: To Do, Open, Backlog ...), and that are not
  resolved. A ticket of a cluster (its own, or one of its items') makes the cluster count.
- **Shipped**: clusters resolved in the period (where nothing resolves clusters, open ones whose own
  ticket was resolved in the period); and items outside any cluster whose ticket was resolved in
  the period.
- **Came back**: clusters that a report written in the period brought back after they were resolved
  (``clusters.models.ClusterReturn``); they are told here, not again under "being worked on".
- **Thanks**: the community's items of kind praise dated in the period (parts of a mixed message
  count, the message they were split from does not), with up to two short quotes.

Items outside clusters appear under "being worked on" and "shipped" only when their kind is one that
is clustered (``CLUSTER_KINDS``: bug reports, feature requests, criticism), so that a support
question never becomes public news. Abusive items never count or get quoted. Member text (titles,
quotes) has personal data redacted here, before anyone sees the draft.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased

from feedback_router.clusters.models import Cluster, ClusterReturn, ClusterStatus
from feedback_router.clusters.titles import title_for
from feedback_router.config import Settings
from feedback_router.digests.schemas import DigestSections, Praise, Quote, Theme, WorkItem
from feedback_router.feedback.models import Feedback
from feedback_router.feedback.stats import written_in
from feedback_router.tickets.models import Ticket
from feedback_router.tickets.service import make_title
from integrations.redact import redact_then_cut

TOP_THEMES = 5
MAX_WORK_ITEMS = 10
QUOTES = 2
QUOTE_LENGTH = 280
QUOTE_CANDIDATES = 50
TITLE_LENGTH = 120  # a manager's name may be longer than the 80 characters of a title from a report
PRAISE = "praise"
OPEN, RESOLVED = "open", "resolved"
Subject = tuple[int | None, int | None]  # (cluster id, None) or (None, item id)


def _community(community: str | None) -> list[ColumnElement[bool]]:
    return [] if community is None else [Feedback.meta["community"].as_string() == community]


def gather(
    *,
    session: Session,
    community: str | None,
    start: datetime,
    end: datetime,
    settings: Settings,
    language: str | None = None,
) -> DigestSections:
    """The figures of one digest; clusters are named in ``language`` where they have a title in it
    (``clusters.titles.title_for``)."""
    clusters = _Clusters(session, language)
    themes = _themes(session, clusters, community, start, end)
    shipped = _shipped(session, clusters, community, start, end, settings)
    came_back = _came_back(session, clusters, community, start, end)
    done = {(w.cluster_id, w.feedback_id) for w in [*shipped, *came_back]}
    in_progress = [
        w
        for w in _in_progress(session, clusters, community, settings)
        if (w.cluster_id, w.feedback_id) not in done
    ]
    return DigestSections(
        themes=themes[:TOP_THEMES],
        themes_more=max(0, len(themes) - TOP_THEMES),
        in_progress=in_progress[:MAX_WORK_ITEMS],
        in_progress_more=max(0, len(in_progress) - MAX_WORK_ITEMS),
        shipped=shipped[:MAX_WORK_ITEMS],
        shipped_more=max(0, len(shipped) - MAX_WORK_ITEMS),
        came_back=came_back[:MAX_WORK_ITEMS],
        came_back_more=max(0, len(came_back) - MAX_WORK_ITEMS),
        praise=_praise(session, community, start, end),
    )


class _Clusters:
    """Clusters by id, loaded on demand; a merged cluster stands for the one its items went to."""

    def __init__(self, session: Session, language: str | None) -> None:
        self.session = session
        self.language = language
        self.loaded: dict[int, Cluster] = {}

    def title(self, cluster: Cluster) -> str:
        """The cluster's title for the digest's readers, redacted (a manager's name is not, yet)."""
        return redact_then_cut(title_for(cluster, self.language), TITLE_LENGTH)

    def load(self, ids: Iterable[int]) -> None:
        missing = set(ids) - set(self.loaded)
        while missing:
            rows = self.session.scalars(select(Cluster).where(Cluster.id.in_(missing))).all()
            self.loaded.update((c.id, c) for c in rows)
            missing = {c.merged_into_id for c in rows if c.merged_into_id is not None} - set(self.loaded)

    def final(self, cluster_id: int) -> Cluster | None:
        self.load([cluster_id])
        cluster = self.loaded.get(cluster_id)
        for _ in range(len(self.loaded)):  # a chain of merges, never a loop
            if cluster is None or cluster.status != ClusterStatus.merged or cluster.merged_into_id is None:
                break
            self.load([cluster.merged_into_id])
            cluster = self.loaded.get(cluster.merged_into_id)
        return cluster

    def reports(self, cluster_ids: Iterable[int], community: str | None) -> dict[int, int]:
        """The community's items in each cluster, at any time."""
        ids = list(set(cluster_ids))
        if not ids:
            return {}
        rows = self.session.execute(
            select(Feedback.cluster_id, func.count())
            .where(Feedback.cluster_id.in_(ids), Feedback.abuse.is_not(True), *_community(community))
            .group_by(Feedback.cluster_id)
        )
        return {cluster_id: count for cluster_id, count in rows if cluster_id is not None}


def _counts(session: Session, community: str | None, start: datetime, end: datetime) -> dict[int, int]:
    rows = session.execute(
        select(Feedback.cluster_id, func.count())
        .where(
            Feedback.cluster_id.is_not(None),
            Feedback.abuse.is_not(True),
            written_in(start, end),
            *_community(community),
        )
        .group_by(Feedback.cluster_id)
    )
    return {cluster_id: count for cluster_id, count in rows if cluster_id is not None}


def _themes(
    session: Session, clusters: _Clusters, community: str | None, start: datetime, end: datetime
) -> list[Theme]:
    now, before = (
        _counts(session, community, start, end),
        _counts(session, community, start - (end - start), start),
    )
    clusters.load([*now, *before])
    current: dict[int, int] = defaultdict(int)
    previous: dict[int, int] = defaultdict(int)
    for counts, into in ((now, current), (before, previous)):
        for cluster_id, count in counts.items():
            cluster = clusters.final(cluster_id)
            if cluster is not None:
                into[cluster.id] += count
    themes = [
        Theme(
            cluster_id=cluster_id,
            title=clusters.title(clusters.loaded[cluster_id]),
            count=count,
            previous_count=previous.get(cluster_id, 0),
        )
        for cluster_id, count in current.items()
    ]
    return sorted(themes, key=lambda t: (-t.count, -t.change, t.cluster_id))


def _subject_items(
    session: Session, feedback_ids: Iterable[int], community: str | None, settings: Settings
) -> dict[int, Feedback]:
    """The items behind item tickets that may be told: the community's, not abusive, clustered kinds
    (or in a cluster, which then tells them)."""
    ids = list(set(feedback_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(Feedback).where(Feedback.id.in_(ids), Feedback.abuse.is_not(True), *_community(community))
    ).all()
    return {i.id: i for i in rows if i.cluster_id is not None or i.kind in settings.cluster_kinds}


def _work_items(
    session: Session,
    clusters: _Clusters,
    community: str | None,
    settings: Settings,
    tickets: list[Ticket],
    *,
    keep_cluster: Callable[[Cluster], bool],
    item_tickets_count_for_clusters: bool,
) -> list[WorkItem]:
    """Subjects of the tickets (newest status first per subject), with their reports."""
    items = _subject_items(session, [t.feedback_id for t in tickets if t.feedback_id], community, settings)
    clusters.load(
        [t.cluster_id for t in tickets if t.cluster_id]
        + [i.cluster_id for i in items.values() if i.cluster_id]
    )
    by_subject: dict[Subject, Ticket] = {}
    titles: dict[Subject, str] = {}
    for ticket in tickets:
        cluster: Cluster | None = None
        if ticket.cluster_id is not None:
            cluster = clusters.final(ticket.cluster_id)
        elif ticket.feedback_id in items:
            item = items[ticket.feedback_id]
            if item.cluster_id is None:
                lone: Subject = (None, item.id)
                by_subject.setdefault(lone, ticket)
                titles[lone] = make_title(item.text)
                continue
            if not item_tickets_count_for_clusters:
                continue
            cluster = clusters.final(item.cluster_id)
        if cluster is None or not keep_cluster(cluster):
            continue
        key: Subject = (cluster.id, None)
        by_subject.setdefault(key, ticket)
        titles[key] = clusters.title(cluster)
    reports = clusters.reports([cid for cid, _ in by_subject if cid is not None], community)
    work = [
        WorkItem(
            cluster_id=cluster_id,
            feedback_id=feedback_id,
            title=titles[(cluster_id, feedback_id)],
            reports=reports.get(cluster_id, 0) if cluster_id is not None else 1,
            status=ticket.external_status,
            changed_at=ticket.status_changed_at,
        )
        for (cluster_id, feedback_id), ticket in by_subject.items()
    ]
    # Clusters with none of the community's items are someone else's news.
    return [w for w in work if w.reports > 0]


def _newest_first(tickets: Iterable[Ticket]) -> list[Ticket]:
    return sorted(
        tickets, key=lambda t: (t.status_changed_at is not None, t.status_changed_at, t.id), reverse=True
    )


def _in_progress(
    session: Session, clusters: _Clusters, community: str | None, settings: Settings
) -> list[WorkItem]:
    not_started = [s.strip().lower() for s in settings.digest_not_started_statuses]
    tickets = session.scalars(
        select(Ticket).where(
            Ticket.status == OPEN,
            Ticket.external_status.is_not(None),
            func.lower(Ticket.external_status).not_in(not_started),
        )
    ).all()
    work = _work_items(
        session,
        clusters,
        community,
        settings,
        _newest_first(tickets),
        keep_cluster=lambda c: c.status == ClusterStatus.open,
        item_tickets_count_for_clusters=True,
    )
    return sorted(work, key=lambda w: (-w.reports, w.cluster_id or 0, w.feedback_id or 0))


def _resolved_in(cluster: Cluster, start: datetime, end: datetime) -> bool:
    """A cluster whose ticket was resolved counts when the cluster was resolved in the period (a later
    status change of the ticket, Done to Closed, does not make it news again), or when nothing
    resolves clusters (no loop-back) and it is still open."""
    if cluster.status == ClusterStatus.resolved:
        return cluster.resolved_at is not None and start <= cluster.resolved_at < end
    return cluster.status == ClusterStatus.open


def _shipped(
    session: Session,
    clusters: _Clusters,
    community: str | None,
    start: datetime,
    end: datetime,
    settings: Settings,
) -> list[WorkItem]:
    resolved_tickets = session.scalars(
        select(Ticket).where(
            Ticket.status == RESOLVED, Ticket.status_changed_at >= start, Ticket.status_changed_at < end
        )
    ).all()
    work = _work_items(
        session,
        clusters,
        community,
        settings,
        _newest_first(resolved_tickets),
        keep_cluster=lambda c: _resolved_in(c, start, end),
        item_tickets_count_for_clusters=False,
    )
    # Clusters resolved in the period without a resolved ticket of their own in it (resolved by hand).
    known = {w.cluster_id for w in work if w.cluster_id is not None}
    resolved = session.scalars(
        select(Cluster).where(
            Cluster.status == ClusterStatus.resolved, Cluster.resolved_at >= start, Cluster.resolved_at < end
        )
    ).all()
    extra = [c for c in resolved if c.id not in known]
    reports = clusters.reports([c.id for c in extra], community)
    work += [
        WorkItem(
            cluster_id=c.id,
            title=clusters.title(c),
            reports=reports.get(c.id, 0),
            status=None,
            changed_at=c.resolved_at,
        )
        for c in extra
        if reports.get(c.id, 0) > 0
    ]
    return sorted(work, key=lambda w: (-w.reports, w.cluster_id or 0, w.feedback_id or 0))


def _came_back(
    session: Session, clusters: _Clusters, community: str | None, start: datetime, end: datetime
) -> list[WorkItem]:
    rows = session.execute(
        select(ClusterReturn.cluster_id, func.max(ClusterReturn.came_back_at))
        .where(ClusterReturn.came_back_at >= start, ClusterReturn.came_back_at < end)
        .group_by(ClusterReturn.cluster_id)
    ).all()
    clusters.load([cluster_id for cluster_id, _ in rows])
    latest: dict[int, datetime] = {}
    for cluster_id, at in rows:
        cluster = clusters.final(cluster_id)
        if cluster is not None:
            latest[cluster.id] = max(at, latest.get(cluster.id, at))
    reports = clusters.reports(latest, community)
    work = [
        WorkItem(
            cluster_id=cluster_id,
            title=redact_then_cut(clusters.loaded[cluster_id].title or f"cluster {cluster_id}", 120),
            reports=reports[cluster_id],
            status=None,
            changed_at=at,
        )
        for cluster_id, at in latest.items()
        if reports.get(cluster_id, 0) > 0  # clusters with none of the community's items are someone else's
    ]
    return sorted(work, key=lambda w: (-w.reports, w.cluster_id or 0))


def _praise(session: Session, community: str | None, start: datetime, end: datetime) -> Praise:
    when = Feedback.written_at
    part = aliased(Feedback)
    where = (
        Feedback.kind == PRAISE,
        Feedback.abuse.is_not(True),
        written_in(start, end),
        ~exists().where(part.parent_id == Feedback.id),  # a split message counts through its parts
        *_community(community),
    )
    count = session.scalar(select(func.count()).select_from(Feedback).where(*where)) or 0
    candidates = session.scalars(
        select(Feedback).where(*where).order_by(when.desc(), Feedback.id.desc()).limit(QUOTE_CANDIDATES)
    ).all()
    # Newest first, short ones before long ones (which are cut).
    chosen = sorted(candidates, key=lambda i: len(" ".join(i.text.split())) > QUOTE_LENGTH)[:QUOTES]
    quotes = []
    for i in chosen:
        author = i.author_display_name or i.author_handle
        quotes.append(
            Quote(
                feedback_id=i.id,
                text=redact_then_cut(i.text, QUOTE_LENGTH),
                author=redact_then_cut(author, 80) if author else None,
            )
        )
    return Praise(count=count, quotes=quotes)
