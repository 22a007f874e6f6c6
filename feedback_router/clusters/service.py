"""Online clustering of product reports, and what a cluster tells its ticket.

An item bound for a clustered team (``CLUSTER_TEAMS``) of a clustered kind (``CLUSTER_KINDS``)
joins the open cluster of its team whose centroid is most similar, when that similarity reaches
``CLUSTER_THRESHOLD``; otherwise it starts a cluster. A cluster keeps the sum of its items' unit
vectors, so joining costs one vector addition. Items are delivered singly until their cluster
reaches ``CLUSTER_MIN_SIZE``; then the cluster gets its own ticket in the team's Jira sinks,
later items go only into it, and the items delivered before are linked to it.

Recurring problems: an item that fits no open cluster is compared with the team's resolved ones.
Written after that resolution, it brings the cluster back (``come_back``): open again, with a
``ClusterReturn`` and a comment for each of its Jira issues, instead of a fresh cluster and issue
that know nothing of the fix. Written before it (imported history), it joins the resolved cluster
quietly: it is part of the problem that was fixed.
"""

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_router.clusters import index as cluster_index  # importing it registers the write-through
from feedback_router.clusters import titles
from feedback_router.clusters.models import Cluster, ClusterReturn, ClusterStatus
from feedback_router.clusters.schemas import ClusterSummary, Quote, ReclusterStats, Return
from feedback_router.config import Settings
from feedback_router.db import take_turns, utcnow
from feedback_router.errors import Conflict, InvalidInput, NotFound
from feedback_router.feedback.models import Feedback
from feedback_router.tickets.models import Delivery, Ticket, TicketComment
from feedback_router.tickets.service import make_title

log = logging.getLogger(__name__)

QUOTES = 5
TREND_DAYS = 7
# A report that joins retitles its cluster while the cluster is small, then at every RETITLE_EVERY-th
# report (a big cluster's content moves slowly; re-clustering retitles every cluster anyway).
RETITLE_ALWAYS_UNTIL = 50
RETITLE_EVERY = 10


def _vector(item: Feedback) -> np.ndarray | None:
    """The item's embedding at unit length."""
    if item.embedding is None:
        return None
    vector = np.frombuffer(item.embedding, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _matrix(items: Sequence[Feedback]) -> np.ndarray:
    """The unit vectors of items that all have an embedding, one row each."""
    return np.vstack([vector for vector in map(_vector, items) if vector is not None])


def clustered(item: Feedback, settings: Settings) -> bool:
    """Whether the item's team and kind are clustered."""
    return (
        item.team in settings.cluster_teams
        and item.kind in settings.cluster_kinds
        and item.embedding is not None
    )


def threshold(settings: Settings) -> float:
    """The similarity an item needs to join a cluster: the setting, else the model's tuned one."""
    from classifiers.clustering import threshold_for
    from classifiers.embedding import DEFAULT_MODEL

    return settings.cluster_threshold or threshold_for(settings.embedding_model or DEFAULT_MODEL)


def _centroid(cluster: Cluster) -> np.ndarray:
    assert cluster.vector_sum is not None
    return np.frombuffer(cluster.vector_sum, dtype=np.float32) / max(cluster.size, 1)


def attach(*, session: Session, item: Feedback, settings: Settings) -> Cluster | None:
    """Put the item into the most similar open cluster of its team, or a new one (see
    ``classifiers.clustering.assign``); None when the item is not clustered.

    An item already in a cluster stays there: re-processing does not move it (re-clustering may).
    """
    from classifiers.clustering import assign

    if item.cluster_id is not None:
        return session.get(Cluster, item.cluster_id)
    vector = _vector(item)
    if vector is None or not clustered(item, settings):
        return None
    assert item.team is not None  # clustered() holds
    candidates = _candidates(session, item.team, vector)
    choice = assign(
        vector, [_centroid(c) for c in candidates], [c.size for c in candidates], threshold(settings)
    )
    if choice.index is not None:
        cluster, similarity = candidates[choice.index], choice.similarity
    else:
        resolved = _resolved(session, item.team)
        again = assign(
            vector, [_centroid(c) for c in resolved], [c.size for c in resolved], threshold(settings)
        )
        if again.index is not None:
            cluster, similarity = resolved[again.index], again.similarity
        else:
            cluster = Cluster(team=item.team, title="", size=0, synced_size=0)
            cluster.vector_sum = np.zeros_like(vector).tobytes()
            session.add(cluster)
            session.flush()
            similarity = 1.0
    add(cluster, item, vector, similarity)
    if cluster.status == ClusterStatus.resolved and (
        cluster.resolved_at is None or (item.written_at or utcnow()) > cluster.resolved_at
    ):
        come_back(session=session, cluster=cluster, item=item, settings=settings)
    if cluster.size <= RETITLE_ALWAYS_UNTIL or cluster.size % RETITLE_EVERY == 0:
        titles.refresh(session, cluster)
    return cluster


def _resolved(session: Session, team: str) -> list[Cluster]:
    """The team's resolved clusters, locked as the scanned open ones are (the index holds open ones
    only; this is asked only when no open cluster fits)."""
    return [
        c
        for c in session.scalars(
            select(Cluster)
            .where(Cluster.team == team, Cluster.status == ClusterStatus.resolved)
            .order_by(Cluster.id)
            .with_for_update()
        ).all()
        if c.vector_sum is not None and c.size > 0
    ]


def come_back(*, session: Session, cluster: Cluster, item: Feedback, settings: Settings) -> ClusterReturn:
    """A resolved cluster that ``item`` brought back: open again, the return recorded, and a comment
    for each of its delivered Jira issues in the outbox, all in the caller's transaction."""
    resolved_at = cluster.resolved_at or cluster.updated_at
    cluster.status, cluster.resolved_at, cluster.synced_at = ClusterStatus.open, None, None
    back = ClusterReturn(
        cluster_id=cluster.id,
        feedback_id=item.id,
        resolved_at=resolved_at,
        came_back_at=item.written_at or utcnow(),
    )
    session.add(back)
    session.flush()
    issues = session.scalars(
        select(Ticket)
        .where(Ticket.cluster_id == cluster.id, Ticket.sink == "jira", Ticket.delivery == Delivery.delivered)
        .order_by(Ticket.id)
    ).all()
    for ticket in issues:
        ref = f"fr-cluster-{cluster.id}-back-{back.id}"
        session.add(
            TicketComment(ticket_id=ticket.id, ref=ref, body=came_back_text(item, back, ref, settings))
        )
    log.info("cluster %s came back with feedback %s", cluster.id, item.id, extra={"feedback_id": item.id})
    return back


def came_back_text(item: Feedback, back: ClusterReturn, ref: str, settings: Settings) -> str:
    """The comment on a cluster's issue when its problem came back: when, where to read the new report,
    and its reference (how a repeat attempt finds it). No words of the report: the link leads to them,
    and a comment in Jira cannot be taken back when its author's data is erased."""
    return "\n".join(
        [
            f"This problem came back: a new report written on {back.came_back_at:%Y-%m-%d}, after it was "
            f"resolved on {back.resolved_at:%Y-%m-%d}. feedback-router has opened the cluster again; re-open "
            "this issue if it needs work (its new reporters are thanked when it is resolved again).",
            "",
            f"The new report: {settings.desk_link(item_id=item.id)}",
            f"Reference: {ref}",
        ]
    )


def _candidates(session: Session, team: str, vector: np.ndarray) -> list[Cluster]:
    """The team's open clusters that may be nearest: from the cluster index where there is one
    (``clusters.index``), else all of them."""
    index = cluster_index.for_session(session)
    if index is not None:
        url = session.get_bind().engine.url.render_as_string(hide_password=False)
        try:
            return _indexed(session, index, team, vector)
        except Exception as exc:  # the index is a cache: scan instead
            cluster_index.disable(url, exc)
    return [
        c
        for c in session.scalars(
            select(Cluster)
            .where(Cluster.team == team, Cluster.status == ClusterStatus.open)
            .order_by(Cluster.id)
            .with_for_update()  # two workers adding to one cluster must not lose an addition
        ).all()
        if c.vector_sum is not None and c.size > 0
    ]


def _indexed(session: Session, index: Any, team: str, vector: np.ndarray) -> list[Cluster]:
    """The index's nearest open clusters of the team, re-read (and locked) from the table.

    One team's attaches take turns (a transaction-scoped advisory lock on PostgreSQL; SQLite has
    one writer), so two workers cannot both start a cluster for one problem. Entries that no
    longer match an open cluster of the team are dropped and the index asked again.
    """
    take_turns(session, "clusters:" + team)
    for _ in range(5):
        ids = index.nearest(session, team, vector)
        if not ids:
            return []
        rows = session.scalars(select(Cluster).where(Cluster.id.in_(ids)).with_for_update()).all()
        found = [
            c
            for c in rows
            if c.team == team and c.status == ClusterStatus.open and c.vector_sum is not None and c.size > 0
        ]
        stale = sorted(set(ids) - {c.id for c in found})
        index.remove([str(i) for i in stale])
        if found:
            return sorted(found, key=lambda c: c.id)
    raise RuntimeError("the cluster index keeps answering clusters that are not open")


def add(cluster: Cluster, item: Feedback, vector: np.ndarray, similarity: float) -> None:
    """Count the item in the cluster."""
    assert cluster.vector_sum is not None
    total = np.frombuffer(cluster.vector_sum, dtype=np.float32) + vector
    cluster.vector_sum = total.astype(np.float32).tobytes()
    cluster.size += 1
    seen = item.written_at or utcnow()
    if cluster.size == 1:  # its first report dates it, not the moment the row was made
        cluster.first_seen = cluster.last_seen = seen
    cluster.first_seen = min(cluster.first_seen or seen, seen)
    cluster.last_seen = max(cluster.last_seen or seen, seen)
    item.cluster_id, item.cluster_similarity = cluster.id, similarity


def retitle(session: Session, team: str) -> None:
    """Title each open cluster of the team anew from its reports (``clusters.titles.refresh``)."""
    for cluster in session.scalars(
        select(Cluster).where(Cluster.team == team, Cluster.status == ClusterStatus.open).order_by(Cluster.id)
    ).all():
        titles.refresh(session, cluster)


def recluster(*, session: Session, team: str, settings: Settings) -> ReclusterStats:
    """Re-cluster the team's open clusters: merge, split and move with stable ids
    (``classifiers.clustering.recluster``); merged clusters point to where their items went."""
    from classifiers.clustering import recluster as recluster_vectors

    open_ids = set(
        session.scalars(
            select(Cluster.id).where(Cluster.team == team, Cluster.status == ClusterStatus.open)
        ).all()
    )
    members = [
        m
        for m in session.scalars(
            select(Feedback).where(Feedback.cluster_id.in_(open_ids)).order_by(Feedback.id)
        ).all()
        if m.embedding is not None
    ]
    if not members:
        return {"items": 0, "stability": 1.0, "merges": 0, "splits": 0}
    vectors = _matrix(members)
    next_id = (session.scalar(select(func.max(Cluster.id))) or 0) + 1  # split halves get ids no row has
    labels = [cast(int, m.cluster_id) for m in members]  # members of open clusters
    result = recluster_vectors(vectors, labels, threshold=threshold(settings), next_id=next_id)
    created: dict[int, Cluster] = {}
    for label in sorted(set(result.labels) - open_ids):  # the new halves of split clusters
        first = members[result.labels.index(label)]
        created[label] = Cluster(team=team, title=make_title(first.text), size=0, synced_size=0)
        session.add(created[label])
    session.flush()
    real = {label: cluster.id for label, cluster in created.items()}
    for member, label in zip(members, result.labels, strict=True):
        member.cluster_id = real.get(label, label)
    session.flush()
    for old, new in result.merged_into.items():
        _retire(session, get(session=session, cluster_id=old), real.get(new, new))
    for cluster_id in open_ids - set(result.merged_into) | set(real.values()):
        _recompute(session, get(session=session, cluster_id=cluster_id))
    retitle(session, team)
    return {
        "items": len(members),
        "stability": result.stability,
        "merges": result.merges,
        "splits": result.splits,
    }


def items(session: Session, cluster_id: int) -> Sequence[Feedback]:
    return session.scalars(
        select(Feedback).where(Feedback.cluster_id == cluster_id).order_by(Feedback.id)
    ).all()


def summary(session: Session, cluster: Cluster, now: datetime | None = None) -> ClusterSummary:
    """Counts, trend, sources, languages, sentiment mix and the most representative quotes."""
    members = items(session, cluster.id)
    now = now or utcnow()
    week = timedelta(days=TREND_DAYS)
    this_week = sum(1 for m in members if now - week <= m.written_at < now)
    last_week = sum(1 for m in members if now - 2 * week <= m.written_at < now - week)
    from classifiers.clustering import representatives

    embedded = [m for m in members if m.embedding is not None]
    picks = representatives(_matrix(embedded), k=QUOTES) if embedded else []
    quotes = [embedded[i] for i in picks]
    return {
        "count": len(members),
        "this_week": this_week,
        "last_week": last_week,
        "trend": _trend(this_week, last_week),
        "sources": dict(Counter(m.source for m in members)),
        "languages": dict(Counter(m.language or "und" for m in members)),
        "sentiment": dict(Counter(m.sentiment or "unknown" for m in members)),
        "quotes": [{"feedback_id": m.id, "text": m.text, "author": _author(m)} for m in quotes],
        "newest": [{"feedback_id": m.id, "text": m.text, "author": _author(m)} for m in members[-3:][::-1]],
        "came_back": _latest_return(session, cluster.id),
    }


def _latest_return(session: Session, cluster_id: int) -> Return | None:
    """When a new report last brought the cluster back after a fix, if ever."""
    back = session.scalar(
        select(ClusterReturn).where(ClusterReturn.cluster_id == cluster_id).order_by(ClusterReturn.id.desc())
    )
    if back is None:
        return None
    return Return(feedback_id=back.feedback_id, came_back_at=back.came_back_at, resolved_at=back.resolved_at)


def _author(item: Feedback) -> str | None:
    return item.author_display_name or item.author_handle


def _trend(this_week: int, last_week: int) -> str:
    if this_week == last_week:
        return "steady"
    if last_week == 0:
        return "new this week"
    change = (this_week - last_week) / last_week
    return f"{'up' if change > 0 else 'down'} {abs(change):.0%} against last week"


def _mix(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def _quoted(quotes: list[Quote]) -> list[str]:
    lines = []
    for quote in quotes:
        lines += ["", "> " + quote["text"].replace("\n", "\n> "), f"— {quote['author'] or 'anonymous'}"]
    return lines


def ticket_text(session: Session, cluster: Cluster, item_url: str, language: str) -> tuple[str, str]:
    """The cluster ticket's title (in ``language``, ``CLUSTER_TITLE_LANGUAGE``) and description: count,
    trend, mix, its most representative quotes and its newest reports, in the members' words."""
    facts = summary(session, cluster)
    lines = [
        f"{facts['count']} reports of this problem ({facts['this_week']} this week, "
        f"{facts['last_week']} last week: {facts['trend']}).",
        f"First seen {cluster.first_seen:%Y-%m-%d}, last seen {cluster.last_seen:%Y-%m-%d}.",
        f"Sources: {_mix(facts['sources'])}. Languages: {_mix(facts['languages'])}. "
        f"Sentiment: {_mix(facts['sentiment'])}.",
        "",
        "Representative quotes:",
        *_quoted(facts["quotes"]),
        "",
        "Newest reports:",
        *_quoted(facts["newest"]),
        "",
        f"In feedback-router: {item_url}",
    ]
    return f"[{facts['count']} reports] {titles.title_for(cluster, language or None)}", "\n".join(lines)


def list_clusters(
    *, session: Session, status: str | None, team: str | None, since: datetime | None, limit: int
) -> Sequence[Cluster]:
    query = select(Cluster).order_by(Cluster.last_seen.desc(), Cluster.id.desc()).limit(limit)
    if status:
        query = query.where(Cluster.status == status)
    if team:
        query = query.where(Cluster.team == team)
    if since:
        query = query.where(Cluster.last_seen >= since)
    return session.scalars(query).all()


def get(*, session: Session, cluster_id: int) -> Cluster:
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFound(f"cluster {cluster_id} does not exist")
    return cluster


def rename(*, session: Session, cluster_id: int, title: str | None) -> Cluster:
    """A manager's title, for readers of every language; re-clustering keeps it and the ticket
    follows on its next update. None gives the cluster back its titles from its reports."""
    cluster = get(session=session, cluster_id=cluster_id)
    if title is None:
        cluster.title_locked = False
        titles.refresh(session, cluster)  # the titles kept up while it was renamed
    else:
        cluster.title, cluster.title_locked = title, True
    cluster.synced_at = None  # the ticket's summary follows at the next sweep
    return cluster


def _recompute(session: Session, cluster: Cluster) -> None:
    members = items(session, cluster.id)
    vectors = [v for m in members if (v := _vector(m)) is not None]
    cluster.size = len(members)
    cluster.vector_sum = (np.sum(vectors, axis=0) if vectors else np.zeros(1)).astype(np.float32).tobytes()
    if members:
        seen = [m.written_at for m in members if m.written_at]
        cluster.first_seen, cluster.last_seen = min(seen), max(seen)
    cluster.synced_at = None


def merge(*, session: Session, cluster_id: int, into: int) -> Cluster:
    """Move every item of ``cluster_id`` into ``into``; the merged cluster points to where they went."""
    if cluster_id == into:
        raise InvalidInput("a cluster cannot be merged into itself")
    source, target = get(session=session, cluster_id=cluster_id), get(session=session, cluster_id=into)
    for cluster in (source, target):
        if cluster.status == ClusterStatus.merged:
            raise Conflict(f"cluster {cluster.id} was merged into {cluster.merged_into_id} already")
    if source.team != target.team:
        raise InvalidInput(f"cluster {source.id} is {source.team}'s and {target.id} is {target.team}'s")
    for member in items(session, source.id):
        member.cluster_id = target.id
    _retire(session, source, target.id)
    _recompute(session, target)
    titles.refresh(session, target)
    return target


def _retire(session: Session, source: Cluster, target_id: int) -> None:
    """A cluster whose items went to ``target_id``: it points there, and so does its ticket.

    The target takes over the source's issue where it has none there; otherwise the source's
    issue is linked to the target's as a duplicate (clusters.sync).
    """
    taken = set(session.scalars(select(Ticket.destination).where(Ticket.cluster_id == target_id)).all())
    for ticket in session.scalars(select(Ticket).where(Ticket.cluster_id == source.id)).all():
        if ticket.destination not in taken:
            ticket.cluster_id = target_id
    source.status, source.merged_into_id, source.size = ClusterStatus.merged, target_id, 0
    session.flush()


def split(*, session: Session, cluster_id: int, feedback_ids: Sequence[int]) -> Cluster:
    """Move the given items of a cluster into a new cluster of their own."""
    source = get(session=session, cluster_id=cluster_id)
    if source.status == ClusterStatus.merged:
        raise Conflict(f"cluster {source.id} was merged into {source.merged_into_id}")
    members = {m.id: m for m in items(session, source.id)}
    missing = sorted(set(feedback_ids) - set(members))
    if missing:
        raise InvalidInput(f"feedback {', '.join(map(str, missing))} is not in cluster {source.id}")
    if len(set(feedback_ids)) >= len(members):
        raise InvalidInput("leave at least one item in the cluster: a split moves some, not all")
    moved = [members[i] for i in sorted(set(feedback_ids))]
    new = Cluster(team=source.team, title=make_title(moved[0].text), size=0, synced_size=0)
    session.add(new)
    session.flush()
    for member in moved:
        member.cluster_id = new.id
    session.flush()
    _recompute(session, new)
    _recompute(session, source)
    titles.refresh(session, new)
    titles.refresh(session, source)
    return new
