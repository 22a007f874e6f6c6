"""Delivering tickets to Jira, Slack and webhooks exactly once, whatever fails on the way.

1. Routing writes a ticket row per (item, team, destination) in its own transaction, before any
   call; the unique constraint makes a second row impossible (``open_tickets``).
2. A worker claims due rows with a lease and counts the attempt *before* calling out
   (``DELIVERIES``, an ``outbox.Outbox``), so a worker that dies mid-call leaves a row that is
   retaken later and known to have been tried.
3. Any attempt after the first looks the Jira issue up by our ``fr-<id>`` label before creating:
   a timeout, or a crash between Jira's answer and our commit, never makes a second issue. So
   does the first attempt after a manager's retry of a failed delivery (``service.retry`` resets
   the count but keeps ``last_error``, the sign that an attempt was made).
   Slack messages cannot be looked up: after an unclear failure one may be posted twice.
   Webhooks carry a stable delivery id for the receiver to drop repeats. A comment on an issue
   (``TicketComment``) carries its reference in its text and is looked up by it the same way.
4. Passing failures (timeouts, 5xx, 429/503 with ``Retry-After``) are retried with capped exponential
   backoff and jitter, honouring ``Retry-After``, up to ``delivery_max_attempts``; any other
   4xx fails the delivery at once with the outside system's reason (``outbox.after_failure``).
"""

from dataclasses import dataclass
from typing import Any

from pydantic import AnyHttpUrl, TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_router import metrics, plugins
from feedback_router.clusters import service as clusters
from feedback_router.config import Settings
from feedback_router.db import utcnow
from feedback_router.feedback.models import Feedback
from feedback_router.outbox import Outbox, States
from feedback_router.outlets import Outlets
from feedback_router.routing.rules import BoardSink, RouteDecision, RoutingConfig, Sink
from feedback_router.tickets.models import Delivery, Ticket, TicketComment
from feedback_router.tickets.service import make_body, make_title, open_board_ticket
from integrations.base import LabelValue, Notification, RoutingSink, SinkMessage
from integrations.jira import JiraSink

PRODUCT_LABEL = "feedback-router"


def open_tickets(
    *, session: Session, item: Feedback, decision: RouteDecision, skip: frozenset[str] = frozenset()
) -> list[Ticket]:
    """One ticket per sink of the decision's team (but the ``skip`` destinations), in the caller's
    transaction; existing ones stay."""
    tickets = []
    for sink in decision.sinks:
        if sink.destination in skip:
            continue
        if isinstance(sink, BoardSink):
            tickets.append(
                open_board_ticket(
                    session=session, item=item, decision=decision, priority=sink.priority_of(item.urgency)
                )
            )
            continue
        where = (Ticket.feedback_id == item.id, Ticket.team == decision.team)
        existing = session.scalar(select(Ticket).where(*where, Ticket.destination == sink.destination))
        if existing is not None:
            tickets.append(existing)
            continue
        ticket = Ticket(
            feedback_id=item.id,
            sink=sink.type,
            destination=sink.destination,
            team=decision.team,
            title=make_title(item.text),
            body=make_body(item, decision),
            priority=sink.priority_of(item.urgency),
            config=sink.model_dump(mode="json"),
            delivery=Delivery.pending,
            available_at=utcnow(),
        )
        session.add(ticket)
        session.flush()
        tickets.append(ticket)
    return tickets


def unconfigured(*, routing: RoutingConfig, settings: Settings) -> list[str]:
    """What the routing file sends to but the settings cannot reach, one sentence each."""
    needs: dict[str, list[str]] = {}
    outlets = Outlets(settings)  # connects nothing: outlets only connect on delivery
    for team, declared in routing.teams.items():
        for sink in declared.sinks:
            if isinstance(sink, BoardSink):
                continue
            missing = outlets.sink(sink.type).missing(sink)
            if missing is not None:
                needs.setdefault(f"{plugins.registered()[sink.type].title}: {missing}", []).append(team)
    return [f"team {', '.join(sorted(set(teams)))} sends to {what}" for what, teams in needs.items()]


def open_cluster_tickets(*, session: Session, cluster_id: int, decision: RouteDecision) -> list[Ticket]:
    """The cluster's own ticket in each Jira sink of its team (clusters are kept in step with Jira's own
    comments and links), in the caller's transaction."""
    tickets = []
    for sink in decision.sinks:
        if not isinstance(sink, JiraSink):
            continue
        where = (Ticket.cluster_id == cluster_id, Ticket.team == decision.team)
        existing = session.scalar(select(Ticket).where(*where, Ticket.destination == sink.destination))
        if existing is None:
            existing = Ticket(
                cluster_id=cluster_id,
                sink=sink.type,
                destination=sink.destination,
                team=decision.team,
                title=f"cluster {cluster_id}",
                body="",
                config=sink.model_dump(mode="json"),
                delivery=Delivery.pending,
                available_at=utcnow(),
            )
            session.add(existing)
            session.flush()
        tickets.append(existing)
    return tickets


_STATES = States(
    pending=Delivery.pending, leased=Delivery.sending, done=Delivery.delivered, failed=Delivery.failed
)
DELIVERIES = Outbox(Ticket, name="deliveries", noun="delivery of ticket", state="delivery", states=_STATES)
COMMENTS = Outbox(TicketComment, name="ticket_comments", noun="comment", state="delivery", states=_STATES)


@dataclass(frozen=True)
class Outgoing:
    """What a delivery sends, read from the database before the call (no session is held during it)."""

    ticket_id: int
    sink: dict[str, Any]  # the routing file's entry, read in _send: its integration may be gone since
    message: SinkMessage


def _label_values(item: Feedback) -> dict[str, LabelValue]:
    pairs: dict[str, tuple[Any, float | None]] = {
        "kind": (item.kind, item.kind_confidence),
        "sentiment": (item.sentiment, item.sentiment_confidence),
        "urgency": (item.urgency, None),
        "language": (item.language, item.language_confidence),
        "topic": (item.topic, item.topic_confidence),
        "abuse": (None if item.abuse is None else ("yes" if item.abuse else "no"), item.abuse_confidence),
    }
    return {
        name: LabelValue(
            value=str(value), confidence=None if confidence is None else min(max(confidence, 0), 1)
        )
        for name, (value, confidence) in pairs.items()
        if value is not None
    }


def _outgoing(ticket: Ticket, item: Feedback, settings: Settings) -> Outgoing:
    item_url = settings.desk_link(item_id=item.id)
    author = item.author_display_name or item.author_handle
    kind = (item.kind or "feedback").replace("_", " ")
    notification = Notification(
        title=f"{kind.capitalize()} from {item.source} for {ticket.team}",
        text=item.text,
        author=author,
        source=item.source,
        link=AnyHttpUrl(item.url) if item.url else None,
        item_url=AnyHttpUrl(item_url),
        labels=_label_values(item),
        reason=item.route_reason,
    )
    message = SinkMessage(
        ref=f"fr-{item.id}",
        delivery_id=f"fr-{item.id}-t{ticket.id}",
        summary=ticket.title,
        description=f"{ticket.body}\n\nIn feedback-router: {item_url}",
        labels=[PRODUCT_LABEL],
        urgency=item.urgency,
        topic=item.topic,
        notification=notification,
        tried_before=ticket.last_error is not None,  # a manager's retry resets the count, not this
    )
    return Outgoing(ticket.id, ticket.config or {}, message)


def _cluster_outgoing(session: Session, ticket: Ticket, settings: Settings) -> Outgoing:
    """A cluster's Jira issue: the problem with its count, trend and quotes, not one item."""
    sink = sink_of(ticket)
    assert isinstance(sink, JiraSink) and ticket.cluster_id is not None
    cluster = clusters.get(session=session, cluster_id=ticket.cluster_id)
    url = settings.desk_link(cluster_id=cluster.id)
    title, description = clusters.ticket_text(session, cluster, url, settings.cluster_title_language)
    ref = f"fr-cluster-{cluster.id}"
    message = SinkMessage(
        ref=ref,
        delivery_id=f"{ref}-t{ticket.id}",
        summary=title,
        description=description,
        labels=[PRODUCT_LABEL, "fr-cluster"],
        notification=Notification(title=title, text=description, item_url=AnyHttpUrl(url)),
        tried_before=ticket.last_error is not None,  # a manager's retry resets the count, not this
    )
    return Outgoing(ticket.id, ticket.config or {}, message)


_SINK = TypeAdapter(Sink)


def sink_of(ticket: Ticket) -> RoutingSink:
    """The routing file's sink that a ticket row was written for (kept on the row)."""
    sink = _SINK.validate_python(ticket.config)
    assert not isinstance(sink, BoardSink)
    return sink


def _send(out: Outgoing, outlets: Outlets, attempts: int) -> tuple[str | None, str | None]:
    """Call the outside system through its integration's outlet; returns its reference and link.
    Raises IntegrationError."""
    message = out.message
    if attempts > 1:  # an earlier attempt may have arrived: the sink looks before it creates
        message = message.model_copy(update={"tried_before": True})
    sink = _SINK.validate_python(out.sink)  # a sink whose integration was uninstalled fails this row only
    delivered = outlets.sink(sink.type).deliver(sink, message)
    return delivered.key, delivered.url


def _read(session: Session, ticket: Ticket, settings: Settings) -> Outgoing | None:
    if ticket.cluster_id is not None:
        return _cluster_outgoing(session, ticket, settings)
    item = session.get(Feedback, ticket.feedback_id)
    return _outgoing(ticket, item, settings) if item is not None else None


def _delivered(ticket: Ticket, ref: tuple[str | None, str | None]) -> None:
    ticket.delivered_at = utcnow()
    ticket.external_key, ticket.external_url = ref
    metrics.DELIVERY_LATENCY.labels(sink=ticket.sink).observe(
        (ticket.delivered_at - ticket.created_at).total_seconds()
    )


def deliver_pending(*, settings: Settings, outlets: Outlets, limit: int = 20) -> int:
    """Claim due deliveries and make them, one call each. Returns how many were claimed."""
    return DELIVERIES.send_due(
        settings=settings,
        read=lambda session, ticket: _read(session, ticket, settings),
        send=lambda out, attempts: _send(out, outlets, attempts),
        record=_delivered,
        limit=limit,
    )


@dataclass(frozen=True)
class OutgoingComment:
    key: str  # the Jira issue's
    ref: str
    body: str
    redact: bool
    tried_before: bool


def _read_comment(session: Session, comment: TicketComment) -> OutgoingComment | None:
    ticket = session.get(Ticket, comment.ticket_id)
    if ticket is None or ticket.external_key is None:
        return None
    sink = sink_of(ticket)
    assert isinstance(sink, JiraSink)  # comments are written on Jira issues only
    return OutgoingComment(
        ticket.external_key, comment.ref, comment.body, sink.redact, comment.last_error is not None
    )


def _send_comment(out: OutgoingComment, outlets: Outlets, attempts: int) -> str:
    """Write the comment, unless an earlier attempt did; returns its id in the tracker."""
    jira = outlets.jira(out.redact)
    found = jira.find_comment(out.key, out.ref) if attempts > 1 or out.tried_before else None
    return found or jira.add_comment(out.key, out.body)


def _commented(comment: TicketComment, external_id: str) -> None:
    comment.delivered_at, comment.external_id = utcnow(), external_id


def deliver_comments(*, settings: Settings, outlets: Outlets, limit: int = 20) -> int:
    """Claim due comments for delivered Jira issues and make each once: an attempt after the first
    looks for the comment's reference on the issue before writing it. Returns how many were claimed."""
    return COMMENTS.send_due(
        settings=settings,
        read=_read_comment,
        send=lambda out, attempts: _send_comment(out, outlets, attempts),
        record=_commented,
        limit=limit,
    )
