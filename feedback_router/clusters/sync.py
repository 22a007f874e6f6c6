"""Keeping cluster issues current, paced, and linking the reports delivered before a cluster was born.

A cluster's issue is rewritten (title with the count, description with trend and newest quotes)
when the cluster changed, but at most once per ``CLUSTER_SYNC_SECONDS``: Jira limits writes to
one issue, and fifty reports an hour need not be fifty edits. A report delivered singly before
its cluster reached ``CLUSTER_MIN_SIZE`` gets a comment pointing to the cluster's issue, once.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from feedback_router.clusters import service as clusters
from feedback_router.clusters.models import Cluster
from feedback_router.config import Settings
from feedback_router.db import session_scope, utcnow
from feedback_router.feedback.models import Feedback
from feedback_router.outlets import Outlets
from feedback_router.tickets.delivery import sink_of
from feedback_router.tickets.models import Delivery, Ticket
from integrations.base import TicketUpdate
from integrations.errors import IntegrationError
from integrations.jira import JiraSink, JiraTicketSink

log = logging.getLogger(__name__)


def _stale(session: Session, settings: Settings) -> list[tuple[Ticket, Cluster]]:
    """Delivered cluster issues whose cluster changed and whose last write is old enough."""
    due = utcnow() - timedelta(seconds=settings.cluster_sync_seconds)
    rows = session.execute(
        select(Ticket, Cluster)
        .join(Cluster, Cluster.id == Ticket.cluster_id)
        .where(
            Ticket.delivery == Delivery.delivered,
            Ticket.sink == "jira",
            or_(Cluster.synced_at.is_(None), Cluster.synced_at <= due),
            or_(Cluster.synced_at.is_(None), Cluster.size != Cluster.synced_size),
        )
    ).all()
    return [(ticket, cluster) for ticket, cluster in rows]


def _jira(outlets: Outlets, ticket: Ticket) -> JiraTicketSink:
    sink = sink_of(ticket)
    assert isinstance(sink, JiraSink)  # clusters keep their tickets in Jira
    return outlets.jira(sink.redact)


def update_clusters(*, settings: Settings, outlets: Outlets) -> int:
    """Rewrite the issues of changed clusters; returns how many were written."""
    written = 0
    with session_scope(settings.database_url) as session:
        stale = _stale(session, settings)
        work = []
        for ticket, cluster in stale:
            url = settings.desk_link(cluster_id=cluster.id)
            title, description = clusters.ticket_text(session, cluster, url, settings.cluster_title_language)
            work.append((ticket.id, ticket.external_key, cluster.id, cluster.size, title, description))
        session.expunge_all()
        tickets = {t.id: t for t, _ in stale}
    for ticket_id, key, cluster_id, size, title, description in work:
        assert key is not None  # a delivered issue has its key
        try:
            _jira(outlets, tickets[ticket_id]).update(
                key, TicketUpdate(summary=title, description=description)
            )
        except IntegrationError as exc:  # tried again at a later sweep
            log.warning("updating cluster %s's issue %s failed: %s", cluster_id, key, exc)
            continue
        with session_scope(settings.database_url) as session:
            synced = session.get(Cluster, cluster_id)
            if synced is not None:
                synced.synced_at, synced.synced_size = utcnow(), size
        written += 1
    return written


def _unlinked(
    settings: Settings, target_cluster: Any, join: tuple[Any, Any]
) -> list[tuple[Ticket, str, str]]:
    """Delivered Jira issues not linked yet, with the delivered issue (key, link) of the cluster
    named by ``target_cluster``, a column reached through ``join`` from the issue's ticket."""
    target = Ticket.__table__.alias("target_ticket")
    query = select(Ticket, target.c.external_key, target.c.external_url).join(*join)
    query = query.join(
        target,
        (target.c.cluster_id == target_cluster)
        & (target.c.destination == Ticket.destination)
        & (target.c.delivery == Delivery.delivered),
    ).where(
        Ticket.sink == "jira",
        Ticket.delivery == Delivery.delivered,
        Ticket.linked_to.is_(None),
        target_cluster.is_not(None),
    )
    with session_scope(settings.database_url) as session:
        rows = [(ticket, key, url) for ticket, key, url in session.execute(query).all()]
        session.expunge_all()
    return rows


def _link_all(
    settings: Settings, outlets: Outlets, rows: list[tuple[Ticket, str, str]], link: Callable[..., None]
) -> int:
    """Make each link once: ``linked_to`` records it (a crash in between may repeat one comment)."""
    linked = 0
    for ticket, key, url in rows:
        try:
            link(_jira(outlets, ticket), ticket.external_key, key, url)
        except IntegrationError as exc:  # tried again at a later sweep
            log.warning("linking %s to %s failed: %s", ticket.external_key, key, exc)
            continue
        with session_scope(settings.database_url) as session:
            row = session.get(Ticket, ticket.id)
            if row is not None:
                row.linked_to = key
        linked += 1
    return linked


def link_reports(*, settings: Settings, outlets: Outlets) -> int:
    """Point the issues of reports delivered before their cluster was born to the cluster's issue."""
    rows = _unlinked(settings, Feedback.cluster_id, (Feedback, Feedback.id == Ticket.feedback_id))

    def comment(jira: JiraTicketSink, key: str, cluster_key: str, cluster_url: str) -> None:
        jira.add_comment(
            key, f"This report is now tracked together with similar ones in {cluster_key}: {cluster_url}"
        )

    return _link_all(settings, outlets, rows, comment)


def link_merged(*, settings: Settings, outlets: Outlets) -> int:
    """Link the issue of a merged cluster to its target's issue as a duplicate, once."""
    rows = _unlinked(settings, Cluster.merged_into_id, (Cluster, Cluster.id == Ticket.cluster_id))

    def duplicate(jira: JiraTicketSink, key: str, target_key: str, _url: str) -> None:
        jira.link_duplicate(key, target_key)

    return _link_all(settings, outlets, rows, duplicate)
