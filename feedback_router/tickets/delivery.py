"""Delivering tickets to Jira, Slack and webhooks exactly once, whatever fails on the way.

1. Routing writes a ticket row per (item, team, destination) in its own transaction, before any
   call; the unique constraint makes a second row impossible (``open_tickets``).
2. A worker claims due rows with a lease and counts the attempt *before* calling out
   (``claim_due``), so a worker that dies mid-call leaves a row that is retaken later and known
   to have been tried.
3. Any attempt after the first looks the Jira issue up by our ``fr-<id>`` label before creating:
   a timeout, or a crash between Jira's answer and our commit, never makes a second issue. So
   does the first attempt after a manager's retry of a failed delivery (``service.retry`` resets
   the count but keeps ``last_error``, the sign that an attempt was made).
   Slack messages cannot be looked up: after an unclear failure one may be posted twice.
   Webhooks carry a stable delivery id for the receiver to drop repeats. A comment on an issue
   (``TicketComment``) carries its reference in its text and is looked up by it the same way.
4. Passing failures (timeouts, 5xx, 429/503 with ``Retry-After``) are retried with exponential
   backoff and jitter, honouring ``Retry-After``, up to ``delivery_max_attempts``; any other
   4xx fails the delivery at once with the outside system's reason.
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import AnyHttpUrl, TypeAdapter
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from feedback_router import metrics, plugins
from feedback_router.config import Settings, secret_from_env
from feedback_router.db import give_up, lease, session_scope, utcnow
from feedback_router.feedback.models import Feedback
from feedback_router.routing.rules import BoardSink, RouteDecision, RoutingConfig, Sink
from feedback_router.tickets.models import Delivery, Ticket, TicketComment
from feedback_router.tickets.service import make_body, make_title, open_board_ticket
from integrations.base import LabelValue, Notification, OutletContext, RoutingSink, SinkMessage, SinkOutlet
from integrations.discourse import DiscourseConfig, DiscoursePublisher
from integrations.errors import IntegrationError, PermanentIntegrationError, RetryableIntegrationError
from integrations.jira import JiraOutlet, JiraSink, JiraTicketSink
from integrations.mail import MailConfig, MailSender
from integrations.slack import SlackNotifier, SlackOutlet

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
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


@dataclass(frozen=True)
class DeliveryClaim:
    ticket_id: int
    attempts: int
    token: str


def claim_due(
    *,
    session: Session,
    limit: int,
    lease_seconds: float,
    max_attempts: int,
    outbox: type[Ticket] | type[TicketComment] = Ticket,
) -> list[DeliveryClaim]:
    """Lease due deliveries (of tickets, or of comments with ``outbox=TicketComment``): pending ones
    whose time came, and sending ones whose worker vanished."""
    now = utcnow()
    lost = and_(outbox.delivery == Delivery.sending, outbox.leased_until < now)
    give_up(session, outbox, lost=lost, max_attempts=max_attempts, failed={"delivery": Delivery.failed})
    token, rows = lease(
        session,
        outbox,
        due=or_(and_(outbox.delivery == Delivery.pending, outbox.available_at <= now), lost),
        order_by=[outbox.available_at, outbox.id],
        limit=limit,
        values={"delivery": Delivery.sending, "leased_until": now + timedelta(seconds=lease_seconds)},
        returning=[outbox.attempts],
    )
    return [DeliveryClaim(ticket_id=r[0], attempts=r[1], token=token) for r in rows]


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
    from feedback_router.clusters import service as clusters

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


class Outlets:
    """The clients of the outside systems, built from the settings on first use and kept."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[tuple[str, ...], Any] = {}

    def _client(self, key: tuple[str, ...], build: Callable[[], Any]) -> Any:
        if key not in self._clients:
            self._clients[key] = build()
        return self._clients[key]

    def sink(self, name: str) -> SinkOutlet:
        """The outlet of a registered integration that is a sink, built on first use."""
        outlet: SinkOutlet = self._client(("sink", name), lambda: self._build(name))
        return outlet

    def _build(self, name: str) -> SinkOutlet:
        descriptor = plugins.registered()[name]
        assert descriptor.outlet is not None, f"{name} is no sink"
        context = OutletContext(
            timeout=self.settings.delivery_timeout,
            variable=lambda field: self.settings.variable(name, field),
            secret=secret_from_env,
        )
        return descriptor.outlet(self.settings.integration(name), context)

    def jira(self, redact: bool) -> JiraTicketSink:
        outlet = self.sink("jira")
        assert isinstance(outlet, JiraOutlet)
        return outlet.client(redact)

    def slack(self, redact: bool) -> SlackNotifier:
        outlet = self.sink("slack")
        assert isinstance(outlet, SlackOutlet)
        return outlet.client(redact)

    def mail(self) -> MailSender:
        s, mail = self.settings, self.settings.mail
        if not (mail.host and mail.sender):
            names = f"{s.variable('mail', 'host')} and {s.variable('mail', 'sender')}"
            raise PermanentIntegrationError(f"e-mail is not configured: set {names}")
        host, sender = mail.host, mail.sender
        return self._client(
            ("mail",),
            lambda: MailSender(
                MailConfig(
                    host=host,
                    port=mail.port,
                    username=mail.username,
                    password=mail.password,
                    sender=sender,
                    starttls=mail.starttls,
                    timeout=s.delivery_timeout,
                )
            ),
        )

    def discourse(self) -> DiscoursePublisher:
        s, forum = self.settings, self.settings.discourse
        if forum.url is None or forum.api_key is None or not forum.api_username:
            names = ", ".join(s.variable("discourse", field) for field in ("url", "api_key", "api_username"))
            raise PermanentIntegrationError(f"Discourse is not configured: set {names}")
        url, key, username = forum.url, forum.api_key, forum.api_username
        return self._client(
            ("discourse",),
            lambda: DiscoursePublisher(
                DiscourseConfig(url=url, api_key=key, api_username=username, timeout=s.delivery_timeout)
            ),
        )

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def _send(out: Outgoing, outlets: Outlets, attempts: int) -> tuple[str | None, str | None]:
    """Call the outside system through its integration's outlet; returns its reference and link.
    Raises IntegrationError."""
    message = out.message
    if attempts > 1:  # an earlier attempt may have arrived: the sink looks before it creates
        message = message.model_copy(update={"tried_before": True})
    sink = _SINK.validate_python(out.sink)  # a sink whose integration was uninstalled fails this row only
    delivered = outlets.sink(sink.type).deliver(sink, message)
    return delivered.key, delivered.url


def _held(session: Session, claim: DeliveryClaim, outbox: Any = Ticket) -> Any:
    """The claimed row while the claim still holds its lease, else None."""
    return session.scalar(
        select(outbox).where(
            outbox.id == claim.ticket_id,
            outbox.lease_token == claim.token,
            outbox.delivery == Delivery.sending,
        )
    )


def _retry_delay(settings: Settings, attempts: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after
    backoff = settings.retry_base_seconds * 2 ** (attempts - 1) * random.uniform(0.5, 1.5)
    return min(backoff, MAX_BACKOFF_SECONDS)


@dataclass(frozen=True)
class NextAttempt:
    """What follows a failed call: another attempt at ``at``, or none (``at`` None); ``reason`` says why."""

    at: datetime | None
    reason: str


def after_failure(settings: Settings, attempts: int, error: Exception) -> NextAttempt:
    """Passing failures (and unexpected errors) are retried with backoff up to ``delivery_max_attempts``;
    a permanent one ends at once with the outside system's reason. Shared by deliveries and author notices."""
    text = str(error) or type(error).__name__
    passing = not isinstance(error, IntegrationError) or isinstance(error, RetryableIntegrationError)
    if passing and attempts < settings.delivery_max_attempts:
        delay = _retry_delay(settings, attempts, getattr(error, "retry_after", None))
        return NextAttempt(
            utcnow() + timedelta(seconds=delay),
            f"attempt {attempts} failed, retrying in {delay:.0f} s: {text}",
        )
    return NextAttempt(None, f"failed after {attempts} attempt(s): {text}" if passing else text)


def _record(
    settings: Settings, claim: DeliveryClaim, outcome: Exception | tuple[str | None, str | None]
) -> None:
    with session_scope(settings.database_url) as session:
        ticket = _held(session, claim)
        if ticket is None:  # our lease ran out and another worker took over; it decides
            return
        ticket.lease_token = None
        if isinstance(outcome, tuple):
            ticket.delivery, ticket.delivered_at, ticket.last_error = Delivery.delivered, utcnow(), None
            ticket.external_key, ticket.external_url = outcome
            metrics.DELIVERY_LATENCY.labels(sink=ticket.sink).observe(
                (ticket.delivered_at - ticket.created_at).total_seconds()
            )
            return
        metrics.failed("deliveries", outcome)
        then = after_failure(settings, claim.attempts, outcome)
        if then.at is not None:
            ticket.delivery, ticket.available_at = Delivery.pending, then.at
        else:
            ticket.delivery = Delivery.failed
        ticket.last_error = then.reason
        log.warning(
            "delivery of ticket %s: %s",
            ticket.id,
            ticket.last_error,
            extra={"feedback_id": ticket.feedback_id},
        )


def deliver_pending(*, settings: Settings, outlets: Outlets, limit: int = 20) -> int:
    """Claim due deliveries and make them, one call each. Returns how many were claimed."""
    with session_scope(settings.database_url) as session:
        claims = claim_due(
            session=session,
            limit=limit,
            lease_seconds=settings.job_lease_seconds,
            max_attempts=settings.delivery_max_attempts,
        )
    for claim in claims:
        with session_scope(settings.database_url) as session:
            ticket = _held(session, claim)
            if ticket is None:
                continue
            if ticket.cluster_id is not None:
                out = _cluster_outgoing(session, ticket, settings)
            else:
                item = session.get(Feedback, ticket.feedback_id)
                if item is None:
                    continue
                out = _outgoing(ticket, item, settings)
        try:
            outcome: Exception | tuple[str | None, str | None] = _send(out, outlets, claim.attempts)
        except IntegrationError as exc:
            outcome = exc
        except Exception as exc:  # a bug or an unmapped library error: retried, never silently dropped
            log.exception("delivery of ticket %s raised", claim.ticket_id)
            outcome = exc
        _record(settings, claim, outcome)
    return len(claims)


def deliver_comments(*, settings: Settings, outlets: Outlets, limit: int = 20) -> int:
    """Claim due comments for delivered Jira issues and make each once: an attempt after the first
    looks for the comment's reference on the issue before writing it. Returns how many were claimed."""
    with session_scope(settings.database_url) as session:
        claims = claim_due(
            session=session,
            limit=limit,
            lease_seconds=settings.job_lease_seconds,
            max_attempts=settings.delivery_max_attempts,
            outbox=TicketComment,
        )
    for claim in claims:
        with session_scope(settings.database_url) as session:
            comment = _held(session, claim, TicketComment)
            ticket = session.get(Ticket, comment.ticket_id) if comment is not None else None
            if comment is None or ticket is None or ticket.external_key is None:
                continue
            key, ref, body, tried = (
                ticket.external_key,
                comment.ref,
                comment.body,
                comment.last_error is not None,
            )
            sink = sink_of(ticket)
            assert isinstance(sink, JiraSink)  # comments are written on Jira issues only
        try:
            jira = outlets.jira(sink.redact)
            found = jira.find_comment(key, ref) if claim.attempts > 1 or tried else None
            outcome: Exception | str = found or jira.add_comment(key, body)
        except IntegrationError as exc:
            outcome = exc
        except Exception as exc:  # a bug or an unmapped library error: retried, never silently dropped
            log.exception("comment %s on %s raised", ref, key)
            outcome = exc
        with session_scope(settings.database_url) as session:
            comment = _held(session, claim, TicketComment)
            if comment is None:  # our lease ran out and another worker took over; it decides
                continue
            comment.lease_token = None
            if isinstance(outcome, str):
                comment.delivery, comment.delivered_at, comment.last_error = (
                    Delivery.delivered,
                    utcnow(),
                    None,
                )
                comment.external_id = outcome
                continue
            then = after_failure(settings, claim.attempts, outcome)
            comment.delivery = Delivery.pending if then.at is not None else Delivery.failed
            comment.available_at = then.at or comment.available_at
            comment.last_error = then.reason
            log.warning("comment %s on %s: %s", ref, key, then.reason)
    return len(claims)
