"""Ticket status flowing back from Jira, by webhook and by polling; Discourse posts and Slack messages
forwarded by the message shortcut coming in as feedback.

``apply_status`` is the one place that decides what a tracker's status means for a ticket: the
webhook and the poll both call it with the ticket row locked, so a status seen twice, or seen by
both, resolves a ticket, its cluster and writes its author notices once. A webhook delivery is
applied once by its ``X-Atlassian-Webhook-Identifier`` and once by its body (``WebhookReceipt`` rows in
the same transaction): Jira signs only the body, so a recorded delivery could be sent again under a
new identifier. An event older than the receipts are kept is refused, so a body whose receipt was
pruned cannot come back; one older than the status we hold is ignored (Jira may deliver out of order).

The poll is the job ``jira-poll`` (``feedback_router.jobs``): at most once per ``JIRA_POLL_SECONDS``
across all worker processes. ``schedule.take_turn`` takes the turn in the database, and each
process remembers when the next turn can come, so a sweep with nothing due costs no query.
"""

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedback_router.clusters.models import Cluster, ClusterStatus
from feedback_router.config import Settings
from feedback_router.db import session_scope, utcnow
from feedback_router.errors import InvalidInput, field_summary
from feedback_router.feedback import service as feedback
from feedback_router.feedback.models import Source
from feedback_router.feedback.schemas import MAX_TEXT, Author, FeedbackCreate
from feedback_router.loopback import notices
from feedback_router.loopback.models import WebhookReceipt
from feedback_router.loopback.schemas import DiscourseWebhookResult, JiraWebhookResult, TicketChange
from feedback_router.outlets import Outlets
from feedback_router.tickets.models import Delivery, Ticket
from integrations.base import TicketStatus
from integrations.discourse import ForumPost
from integrations.errors import IntegrationError
from integrations.jira import IssueEvent
from integrations.slack import MessageShortcut

log = logging.getLogger(__name__)

JIRA = "jira"
JIRA_BODY = "jira-body"  # receipts named by the SHA-256 of the body
OPEN, RESOLVED = "open", "resolved"
ITEM_LABEL = re.compile(r"^fr-(\d+)$")
CLUSTER_LABEL = re.compile(r"^fr-cluster-(\d+)$")
POLL_CHUNK = 200  # keys per statuses() call and per transaction (the sink asks Jira 50 at a time)
RECEIPT_DAYS = 30  # Jira and Discourse retry for hours, not weeks
REOPEN_WATCH_DAYS = 30  # a resolved issue is still polled this long: re-opening happens soon or never


def is_resolved(status: TicketStatus, settings: Settings) -> bool:
    """A status named in ``RESOLVED_STATUSES`` (any case), or any status of Jira's category done."""
    return status.category == "done" or status.name.casefold() in {
        name.casefold() for name in settings.resolved_statuses
    }


@dataclass(frozen=True)
class Applied:
    """What a status did to a ticket: ``change`` is ``resolved`` or ``reopened`` when ours changed."""

    change: str | None = None
    notices: int = 0  # author notices written


def apply_status(
    *, session: Session, ticket: Ticket, status: TicketStatus, at: datetime, settings: Settings
) -> Applied:
    """Record the tracker's status on a ticket the caller has locked.

    A resolution resolves the ticket's cluster and writes its author notices; a re-opening opens
    the cluster again and takes back the notices not sent yet. A status older than the one we hold
    changes nothing.
    """
    if ticket.status_changed_at is not None and at < ticket.status_changed_at:
        return Applied()  # an older event delivered late: what we hold is newer
    if ticket.external_status != status.name[:64]:
        ticket.external_status, ticket.status_changed_at = status.name[:64], at
    ours = RESOLVED if is_resolved(status, settings) else OPEN
    if ticket.status == ours:
        return Applied()
    ticket.status, ticket.status_changed_at = ours, at
    cluster = session.get(Cluster, ticket.cluster_id) if ticket.cluster_id is not None else None
    log.info("ticket %s is %s in Jira (%s)", ticket.id, ours, status.name, extra={"ticket_id": ticket.id})
    if ours == RESOLVED:
        if cluster is not None and cluster.status == ClusterStatus.open:
            cluster.status, cluster.resolved_at = ClusterStatus.resolved, at
        return Applied("resolved", notices.open_notices(session=session, ticket=ticket, settings=settings))
    if cluster is not None and cluster.status == ClusterStatus.resolved:
        cluster.status, cluster.resolved_at = ClusterStatus.open, None
    notices.withdraw(session=session, ticket=ticket)
    return Applied("reopened")


def _first_receipt(session: Session, source: str, delivery_id: str) -> bool:
    """Record a webhook delivery; False when it was recorded before (a retry, or a concurrent copy)."""
    try:
        with session.begin_nested():
            session.add(WebhookReceipt(source=source, delivery_id=delivery_id[:200]))
            session.flush()
    except IntegrityError:
        return False
    return True


def _tickets_for(session: Session, event: IssueEvent) -> Sequence[Ticket]:
    """Our Jira tickets for the issue, locked: by its key, else by our ``fr-<id>`` label (an issue whose
    key we have not stored yet, or one moved to another project)."""
    by_key = session.scalars(
        select(Ticket)
        .where(Ticket.sink == JIRA, Ticket.external_key == event.issue_key)
        .order_by(Ticket.id)
        .with_for_update()
    ).all()
    if by_key:
        return by_key
    labelled = []
    for label in event.labels:
        if item := ITEM_LABEL.match(label):
            labelled.append(Ticket.feedback_id == int(item[1]))
        elif cluster := CLUSTER_LABEL.match(label):
            labelled.append(Ticket.cluster_id == int(cluster[1]))
    if not labelled:
        return []
    found = session.scalars(
        select(Ticket).where(Ticket.sink == JIRA, or_(*labelled)).order_by(Ticket.id).with_for_update()
    ).all()
    # One item may have issues in several projects, all with its label: take the issue's project.
    project = event.issue_key.rsplit("-", 1)[0]
    same_project = [t for t in found if t.destination == f"{JIRA}:{project}"]
    chosen = same_project or (list(found) if len(found) == 1 else [])
    for ticket in chosen:
        if ticket.delivery == Delivery.delivered and ticket.external_key != event.issue_key:
            if ticket.external_key and ticket.external_url:  # moved: follow the issue to its new key
                ticket.external_url = ticket.external_url.replace(ticket.external_key, event.issue_key)
            ticket.external_key = event.issue_key
    return chosen


def apply_jira_event(
    *, session: Session, event: IssueEvent, body: bytes, delivery_id: str | None, settings: Settings
) -> JiraWebhookResult:
    """Apply one verified Jira delivery in the caller's transaction, once per delivery id and once
    per body; an event older than ``RECEIPT_DAYS`` is refused (its receipt may be gone: a replay)."""
    if event.timestamp is not None and event.timestamp < utcnow() - timedelta(days=RECEIPT_DAYS):
        return JiraWebhookResult(
            ignored=f"the event is older than {RECEIPT_DAYS} days", issue=event.issue_key
        )
    if delivery_id and not _first_receipt(session, JIRA, delivery_id):
        return JiraWebhookResult(duplicate=True)
    if not _first_receipt(session, JIRA_BODY, hashlib.sha256(body).hexdigest()):
        return JiraWebhookResult(duplicate=True)
    if event.webhook_event == "jira:issue_deleted":
        return JiraWebhookResult(ignored=f"{event.issue_key} was deleted", issue=event.issue_key)
    if event.status_name is None:
        return JiraWebhookResult(ignored="the event carries no status", issue=event.issue_key)
    tickets = _tickets_for(session, event)
    if not tickets:
        return JiraWebhookResult(ignored=f"no ticket of ours is {event.issue_key}", issue=event.issue_key)
    status = TicketStatus(name=event.status_name, category=event.status_category)
    at = event.timestamp or utcnow()
    changes, told = [], 0
    for ticket in tickets:
        applied = apply_status(session=session, ticket=ticket, status=status, at=at, settings=settings)
        told += applied.notices
        changes.append(
            TicketChange(
                id=ticket.id,
                status=ticket.status,
                external_status=ticket.external_status or status.name,
                change=applied.change or "unchanged",
            )
        )
    return JiraWebhookResult(issue=event.issue_key, tickets=changes, notices=told)


def poll_statuses(*, settings: Settings, outlets: Outlets) -> int:
    """Ask Jira for the status of every open Jira ticket, and of those resolved in the last
    ``REOPEN_WATCH_DAYS`` (an issue re-opened while its webhook was lost), and apply it; returns how
    many changed ours. The cost follows the open and recent work, not the history. A failing Jira
    ends this poll; the next one tries again.
    """
    recent = utcnow() - timedelta(days=REOPEN_WATCH_DAYS)
    with session_scope(settings.database_url) as session:
        rows = session.execute(
            select(Ticket.id, Ticket.external_key)
            .where(
                Ticket.sink == JIRA,
                Ticket.delivery == Delivery.delivered,
                Ticket.external_key.is_not(None),
                or_(Ticket.status == OPEN, Ticket.status_changed_at >= recent),
            )
            .order_by(Ticket.id)
        ).all()
    open_keys = [(ticket_id, key) for ticket_id, key in rows if key]
    changed = 0
    for start in range(0, len(open_keys), POLL_CHUNK):
        chunk = open_keys[start : start + POLL_CHUNK]
        try:
            found = outlets.jira(redact=True).statuses([key for _, key in chunk])
        except IntegrationError as exc:
            log.warning("polling Jira for the status of %s tickets failed: %s", len(open_keys), exc)
            break
        at = utcnow()
        with session_scope(settings.database_url) as session:
            for ticket_id, key in chunk:
                if key not in found:  # deleted, moved out of reach, or too new for Cloud's search
                    continue
                ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
                if ticket is None or ticket.external_key != key:
                    continue
                applied = apply_status(
                    session=session, ticket=ticket, status=found[key], at=at, settings=settings
                )
                changed += applied.change is not None
    return changed


# --- periodic work -----------------------------------------------------------------------------


def prune_receipts(settings: Settings) -> None:
    """Forget webhook deliveries older than any retry of them."""
    with session_scope(settings.database_url) as session:
        session.execute(
            delete(WebhookReceipt).where(WebhookReceipt.received_at < utcnow() - timedelta(days=RECEIPT_DAYS))
        )


# --- Discourse as a source ----------------------------------------------------------------------

SYSTEM_USERS = frozenset({"system", "discobot"})


def _not_feedback(post: ForumPost, settings: Settings) -> str | None:
    """Why a post is not community feedback, or None when it is."""
    author = post.author_username.casefold()
    if settings.discourse.api_username and author == settings.discourse.api_username.casefold():
        return "our own post"
    if author in SYSTEM_USERS:
        return f"a post by {post.author_username}"
    if post.private:
        return "a personal message"
    if post.kind != "regular":
        return f"a {post.kind.replace('_', ' ')} post"
    if not post.text.strip():
        return "an empty post"
    return None


def forum_feedback(post: ForumPost) -> FeedbackCreate:
    """A forum post as a feedback item: author, link, and where to reply in the metadata."""
    text = post.text.strip()
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    metadata = {
        "discourse_topic_id": str(post.topic_id),
        "discourse_post_id": str(post.post_id),
        "discourse_post_number": str(post.post_number),
    }
    if post.category_id is not None:
        metadata["discourse_category_id"] = str(post.category_id)
    return FeedbackCreate(
        text=text,
        source=Source.forum,
        author=Author(handle=post.author_username[:200], display_name=(post.author_name or "")[:200] or None),
        url=post.url,  # type: ignore[arg-type]
        external_id=f"discourse:{post.post_id}",
        created_at=post.created_at,
        metadata=metadata,
    )


def capture_forum_post(
    *, session: Session, post: ForumPost, settings: Settings
) -> tuple[DiscourseWebhookResult, bool]:
    """Store a forum post as feedback through the capture service (item and processing job in the
    caller's transaction). Returns the answer and whether an item was created."""
    reason = _not_feedback(post, settings)
    if reason is not None:
        return DiscourseWebhookResult(ignored=reason), False
    try:
        feedback_in = forum_feedback(post)
    except ValidationError as exc:  # e.g. a name of NUL characters only, which capture drops
        raise InvalidInput(f"the post cannot be stored as feedback: {field_summary(exc.errors())}") from None
    item, created = feedback.create(session=session, feedback_in=feedback_in)
    if not created:
        return DiscourseWebhookResult(id=item.id, status=item.status, duplicate=True), False
    return DiscourseWebhookResult(id=item.id, status=item.status), True


# --- Slack as a source (the message shortcut) ---------------------------------------------------


def _cut(text: str | None, limit: int = 200) -> str | None:
    text = (text or "").strip()
    return (text if len(text) <= limit else text[: limit - 1] + "…") or None


def _sent_at(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def slack_feedback(shortcut: MessageShortcut) -> FeedbackCreate:
    """A forwarded Slack message as a feedback item: its author (not the one who forwarded it), link,
    and where its thread is in the metadata, under the keys the author notices answer by."""
    text = shortcut.text
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    metadata = {
        notices.SLACK_CHANNEL: shortcut.channel_id,
        notices.SLACK_TS: shortcut.message_ts,
        notices.SLACK_SHORTCUT: shortcut.callback_id[:200],
        "slack_team": shortcut.team_id,
        "slack_forwarded_by": shortcut.forwarded_by_id,
    }
    if shortcut.thread_ts:
        metadata[notices.SLACK_THREAD_TS] = shortcut.thread_ts
    if shortcut.channel_name:
        metadata["slack_channel_name"] = shortcut.channel_name[:200]
    if shortcut.team_domain:
        metadata["slack_team_domain"] = shortcut.team_domain[:200]
    handle = _cut(shortcut.author_id)
    return FeedbackCreate(
        text=text,
        source=Source.slack,
        author=Author(handle=handle, display_name=_cut(shortcut.author_name)) if handle else None,
        url=shortcut.permalink,  # type: ignore[arg-type]
        external_id=shortcut.external_id[:200],
        created_at=_sent_at(shortcut.message_ts),
        metadata=metadata,
    )


def capture_slack_message(*, session: Session, shortcut: MessageShortcut, settings: Settings) -> bool:
    """Store a message forwarded with the Slack shortcut through the capture service (item and processing
    job in the caller's transaction); returns whether an item was created.

    Forwarding the same message again (``{channel}:{ts}``) returns the stored item; another shortcut's
    callback id, or a message without text (only files or attachments), stores nothing and is logged.
    """
    where = {"slack_channel": shortcut.channel_id, "slack_ts": shortcut.message_ts}
    if shortcut.callback_id != settings.slack.shortcut_callback_id:
        log.info(
            "Slack shortcut %r is not %r: ignored",
            shortcut.callback_id,
            settings.slack.shortcut_callback_id,
            extra=where,
        )
        return False
    if not shortcut.text:
        log.info(
            "Slack message %s:%s forwarded by %s has no text (only files or attachments?): not stored",
            shortcut.channel_id,
            shortcut.message_ts,
            shortcut.forwarded_by_id,
            extra=where,
        )
        return False
    forwarder = shortcut.forwarded_by_name or shortcut.forwarded_by_id
    try:
        feedback_in = slack_feedback(shortcut)
    except ValidationError as exc:  # e.g. a text of NUL characters only, which capture drops
        raise InvalidInput(
            f"the message cannot be stored as feedback: {field_summary(exc.errors())}"
        ) from None
    item, created = feedback.create(
        session=session, feedback_in=feedback_in, forwarded_by=f"slack:{forwarder}"[:200]
    )
    if not created:
        log.info("Slack message forwarded again: item %s", item.id, extra={"feedback_id": item.id})
    return created
