"""Telling authors that what they reported was resolved: once per report, in their language, where they wrote;
and telling a Slack thread where a message forwarded by the shortcut went.

A resolved ticket writes one ``AuthorNotice`` per item it stands for (its item, or every item of its
cluster) in the same transaction as the status change; the unique (item, ticket) pair, and skipping
reports whose author was told already, make a webhook seen twice or a poll after a webhook harmless.

Where the item came from decides the channel:

- ``discourse``: a forum post captured from Discourse (``discourse_topic_id`` in its metadata). A
  worker replies in the topic, to the post, from the outbox deliveries use (``feedback_router.outbox``:
  leased, retried with backoff, failed for good on a permanent error), so one reply is posted.
- ``slack``: a Slack message with ``slack_channel`` and ``slack_thread_ts`` (or ``slack_ts``) in its
  metadata: a worker replies in that thread when a bot token is set; ``email``: an author with an
  e-mail address, sent over SMTP when it is configured. Without their settings both are listed, with
  the thread or address, for a community manager (status ``manual``).
- ``manual``: anything else with an author or a link, e.g. a tweet or an app review.

A message forwarded with the Slack message shortcut (``slack_shortcut`` in its metadata) also gets a
notice of kind ``routed`` when processing has routed it: kind, team and reason, in the message's
thread, written in the same transaction as the route and unique per item (a partial unique index), so
a re-processed item or a retried sweep never answers twice. It is sent by the same leased sweep; it
has no ticket and is not on the community manager's list.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedback_router.clusters import service as clusters
from feedback_router.config import Settings
from feedback_router.db import utcnow
from feedback_router.errors import Conflict, NotFound
from feedback_router.feedback import service as feedback_service
from feedback_router.feedback.models import Feedback, Source
from feedback_router.feedback.schemas import Author
from feedback_router.feedback.service import decode_cursor, encode_cursor
from feedback_router.i18n import supported, t
from feedback_router.loopback.models import AuthorNotice, NoticeKind, NoticeStatus
from feedback_router.loopback.schemas import NoticeRead
from feedback_router.outbox import Outbox, States
from feedback_router.outlets import Outlets
from feedback_router.routing.rules import TRIAGE
from feedback_router.tickets.models import Ticket
from feedback_router.tickets.service import make_title
from integrations.errors import PermanentIntegrationError
from integrations.slack import escape_mrkdwn

log = logging.getLogger(__name__)

SEND_BATCH = 20
# Where a Slack message is, in an item's metadata (the shortcut writes them; API clients may too).
SLACK_CHANNEL, SLACK_TS, SLACK_THREAD_TS = "slack_channel", "slack_ts", "slack_thread_ts"
SLACK_SHORTCUT = "slack_shortcut"  # the shortcut's callback id: forwarded from Slack, answer in the thread
SLACK_CHANNEL_KEYS = (SLACK_CHANNEL,)
SLACK_THREAD_KEYS = (SLACK_THREAD_TS, SLACK_TS)
NOT_SENT = (NoticeStatus.pending, NoticeStatus.manual, NoticeStatus.failed)


class Channel(StrEnum):
    discourse = "discourse"
    slack = "slack"
    email = "email"
    manual = "manual"


def _first(meta: dict[str, str], keys: Sequence[str]) -> str | None:
    return next((meta[key] for key in keys if meta.get(key)), None)


def channel_of(item: Feedback) -> Channel:
    """Where the author can be answered: the forum or Slack thread they wrote in, their e-mail, or by hand."""
    meta = item.meta or {}
    if item.source == Source.forum and meta.get("discourse_topic_id", "").isdigit():
        return Channel.discourse
    if item.source == Source.slack and _first(meta, SLACK_CHANNEL_KEYS) and _first(meta, SLACK_THREAD_KEYS):
        return Channel.slack
    if item.author_email:
        return Channel.email
    return Channel.manual


def address_of(item: Feedback, channel: str) -> str | None:
    """Where a person (or the worker) answers: the post, the Slack thread, the e-mail address, the link."""
    meta = item.meta or {}
    if channel == Channel.slack:
        return f"Slack {_first(meta, SLACK_CHANNEL_KEYS)}, thread {_first(meta, SLACK_THREAD_KEYS)}"
    if channel == Channel.email:
        return item.author_email
    return item.url


def thanks(item: Feedback, channel: str) -> str:
    """The thank-you in the item's language (``i18n``: English for a language we have no words in).

    On Discourse the reply answers the author's own post and mentions them, so it does not quote it;
    elsewhere the first line of what they wrote says which report it is about.
    """
    language = supported(item.language)
    name = item.author_display_name or item.author_handle
    if channel == Channel.discourse and item.author_handle:
        name = f"@{item.author_handle}"
    greeting = t(language, "thanks_greeting_named", name=name) if name else t(language, "thanks_greeting")
    if channel == Channel.discourse:
        return t(language, "thanks", greeting=greeting)
    return t(language, "thanks_quoting", greeting=greeting, title=make_title(item.text))


def _reachable(item: Feedback) -> bool:
    """Someone to tell: an author, an address, or at least the place they wrote; and not abuse."""
    return item.abuse is not True and bool(item.author_handle or item.author_email or item.url)


def _items_of(session: Session, ticket: Ticket) -> Sequence[Feedback]:
    if ticket.cluster_id is not None:
        return clusters.items(session, ticket.cluster_id)
    item = session.get(Feedback, ticket.feedback_id) if ticket.feedback_id is not None else None
    return [item] if item is not None else []


def author_key(item: Feedback) -> str:
    """Who wrote a report, to thank each person once: their handle where they wrote (a handle names one
    person only on its own site), else their e-mail address, else the report itself (its parts are one)."""
    if item.author_handle:
        return f"{item.source}:{item.author_handle.strip().removeprefix('@').lower()}"[:400]
    if item.author_email:
        return f"email:{item.author_email.strip().lower()}"[:400]
    return f"report:{item.parent_id or item.id}"


# Which of an author's reports the thanks answers: one a worker can reply to, else their first.
_CHANNEL_RANK = {Channel.discourse: 0, Channel.slack: 1, Channel.email: 2, Channel.manual: 3}


def open_notices(*, session: Session, ticket: Ticket, settings: Settings) -> int:
    """Write the notices for a ticket that was just resolved, in the caller's transaction; returns how many.

    One per author, however many of their reports (or parts of one) the ticket covers; a report whose
    author was told already (its own issue and then its cluster's, say) is not told again.
    """
    items = [item for item in _items_of(session, ticket) if _reachable(item)]
    if not items:
        return 0
    root = func.coalesce(Feedback.parent_id, Feedback.id)
    roots = {item.parent_id or item.id for item in items}
    told = set(
        session.scalars(
            select(root)
            .join(AuthorNotice, AuthorNotice.feedback_id == Feedback.id)
            .where(root.in_(roots), AuthorNotice.kind == NoticeKind.resolved)
        )
    )
    by_author: dict[str, list[Feedback]] = {}
    for item in items:
        if (item.parent_id or item.id) not in told:
            by_author.setdefault(author_key(item), []).append(item)
    discourse_ready = bool(
        settings.discourse.url and settings.discourse.api_key and settings.discourse.api_username
    )
    created = 0
    for key, theirs in by_author.items():
        item = min(theirs, key=lambda i: (_CHANNEL_RANK[channel_of(i)], i.id))
        channel = channel_of(item)
        notice = AuthorNotice(
            feedback_id=item.id,
            ticket_id=ticket.id,
            kind=NoticeKind.resolved,
            author_key=key,
            channel=channel,
            status=NoticeStatus.manual,
            message=thanks(item, channel),
            attempts=0,
        )
        if channel == Channel.discourse:
            if discourse_ready:
                notice.status, notice.available_at = NoticeStatus.pending, utcnow()
            else:
                notice.last_error = (
                    "Discourse is not configured (FEEDBACK_ROUTER_DISCOURSE__URL, __API_KEY, __API_USERNAME)"
                )
        elif channel == Channel.slack:
            if settings.slack.bot_token is not None:
                notice.status, notice.available_at = NoticeStatus.pending, utcnow()
            else:
                notice.last_error = "replying in a Slack thread needs FEEDBACK_ROUTER_SLACK__BOT_TOKEN"
        elif channel == Channel.email:
            if settings.mail.host and settings.mail.sender:
                notice.status, notice.available_at = NoticeStatus.pending, utcnow()
            else:
                notice.last_error = "e-mail needs FEEDBACK_ROUTER_MAIL__HOST and FEEDBACK_ROUTER_MAIL__SENDER"
        try:
            with session.begin_nested():  # a concurrent resolution of the same ticket wrote it first
                session.add(notice)
                session.flush()
        except IntegrityError:
            continue
        created += 1
    if created:
        log.info(
            "ticket %s resolved: %s author notice(s)", ticket.id, created, extra={"ticket_id": ticket.id}
        )
    return created


def withdraw(*, session: Session, ticket: Ticket) -> int:
    """A re-opened ticket takes back the notices not sent yet; a later resolution writes them again."""
    result = session.execute(
        delete(AuthorNotice).where(
            AuthorNotice.ticket_id == ticket.id,
            AuthorNotice.status.in_(NOT_SENT),
            AuthorNotice.lease_token.is_(None),  # one being sent right now is past taking back
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- where a forwarded message went ----------------------------------------------------------


def forwarded_by_shortcut(item: Feedback) -> bool:
    """Forwarded with the Slack message shortcut: its thread hears where it went."""
    return bool((item.meta or {}).get(SLACK_SHORTCUT)) and channel_of(item) == Channel.slack


def _route_line(item: Feedback) -> str:
    kind = (item.kind or "other").replace("_", " ")
    confidence = f" ({item.kind_confidence:.0%})" if item.kind_confidence is not None else ""
    team = item.team or TRIAGE
    where = "triage, waiting for a person" if team == TRIAGE else f"team *{escape_mrkdwn(team)}*"
    return f"*{escape_mrkdwn(kind)}*{confidence} → {where}"


def routed_message(item: Feedback, parts: Sequence[Feedback], item_url: str) -> str:
    """The thread reply for a routed item (Slack mrkdwn): kind, team and reason, and a link to the item.

    A mixed message that was split says where each of its parts went instead.
    """
    link = f"<{item_url}|#{item.id} in feedback-router>"
    if parts:
        lines = [f"Forwarded to feedback-router as {link}; it was split into {len(parts)} parts:"]
        for part in parts:
            reason = f": {escape_mrkdwn(part.route_reason)}" if part.route_reason else ""
            lines.append(f"• {_route_line(part)}{reason}")
        return "\n".join(lines)
    lines = [f"Forwarded to feedback-router as {link}: {_route_line(item)}."]
    if item.route_reason:
        lines.append(f"Why: {escape_mrkdwn(item.route_reason)}")
    return "\n".join(lines)


def open_routed_notice(*, session: Session, item: Feedback, settings: Settings) -> bool:
    """Write the reply that tells a shortcut-forwarded item's thread where it was routed, in the
    caller's transaction (processing's, so a route is never without its reply); returns whether one
    was written. Once per item: an item processed again, or one that is not from the shortcut, gets none.

    Without ``SLACK_BOT_TOKEN`` nothing can answer in a thread: the notice is ``failed`` with the reason.
    """
    if item.parent_id is not None or not forwarded_by_shortcut(item):
        return False
    exists = select(AuthorNotice.id).where(
        AuthorNotice.feedback_id == item.id, AuthorNotice.kind == NoticeKind.routed
    )
    if session.scalar(exists) is not None:
        return False
    parts = feedback_service.parts_of(session, item.id)
    notice = AuthorNotice(
        feedback_id=item.id,
        ticket_id=None,
        kind=NoticeKind.routed,
        channel=Channel.slack,
        status=NoticeStatus.pending,
        available_at=utcnow(),
        message=routed_message(item, parts, settings.desk_link(item_id=item.id)),
        attempts=0,
    )
    if settings.slack.bot_token is None:
        notice.status, notice.available_at = NoticeStatus.failed, None
        notice.last_error = "replying in a Slack thread needs FEEDBACK_ROUTER_SLACK__BOT_TOKEN"
        log.warning(
            "not answering item %s's Slack thread: no bot token", item.id, extra={"feedback_id": item.id}
        )
    try:
        with session.begin_nested():  # a concurrent worker that processed the same item wrote it first
            session.add(notice)
            session.flush()
    except IntegrityError:
        return False
    return True


# --- sending ---------------------------------------------------------------------------------


# A leased notice stays ``pending`` with ``available_at`` at its lease's end: one whose worker
# vanished is simply due again.
NOTICES = Outbox(
    AuthorNotice,
    name="author_notices",
    noun="author notice",
    state="status",
    states=States(
        pending=NoticeStatus.pending,
        leased=NoticeStatus.pending,
        done=NoticeStatus.sent,
        failed=NoticeStatus.failed,
    ),
    lease_end="available_at",
)


@dataclass(frozen=True)
class OutgoingNotice:
    channel: str
    message: str
    meta: dict[str, str]
    address: str | None  # the author's e-mail
    language: str | None  # the author's, for the e-mail's subject


def _send(out: OutgoingNotice, outlets: Outlets) -> str:
    """Post the thanks; returns a reference to it. Raises IntegrationError."""
    if out.channel == Channel.slack:
        channel, thread = _first(out.meta, SLACK_CHANNEL_KEYS), _first(out.meta, SLACK_THREAD_KEYS)
        assert channel and thread  # channel_of chose Slack for that reason
        return outlets.slack(redact=True).reply(channel, thread, out.message)
    if out.channel == Channel.email:
        assert out.address is not None
        return outlets.mail().send(out.address, t(supported(out.language), "thanks_subject"), out.message)
    if out.channel != Channel.discourse:
        raise PermanentIntegrationError(f"no integration answers on {out.channel}: answer it by hand")
    number = out.meta.get("discourse_post_number", "")
    ref = outlets.discourse().reply(
        int(out.meta["discourse_topic_id"]),
        out.message,
        reply_to_post_number=int(number) if number.isdigit() else None,
    )
    return ref.url if len(ref.url) <= 200 else f"discourse post {ref.id}"


def _read(session: Session, notice: AuthorNotice) -> OutgoingNotice | None:
    item = session.get(Feedback, notice.feedback_id)
    if item is None:
        return None
    return OutgoingNotice(
        notice.channel, notice.message, dict(item.meta or {}), item.author_email, item.language
    )


def _sent(notice: AuthorNotice, ref: str) -> None:
    notice.sent_at, notice.external_ref = utcnow(), ref


def send_due(*, settings: Settings, outlets: Outlets, limit: int = SEND_BATCH) -> int:
    """Send the notices that are due, one call each; returns how many were claimed. One read when none is."""
    return NOTICES.send_due(
        settings=settings,
        read=_read,
        send=lambda out, _attempts: _send(out, outlets),
        record=_sent,
        limit=limit,
    )


# --- for the community manager ---------------------------------------------------------------


def to_read(notice: AuthorNotice, item: Feedback, ticket: Ticket, reports: Sequence[int] = ()) -> NoticeRead:
    author = (
        Author(handle=item.author_handle, display_name=item.author_display_name, email=item.author_email)
        if item.author_handle
        else None
    )
    return NoticeRead(
        id=notice.id,
        status=notice.status,
        channel=notice.channel,
        message=notice.message,
        address=address_of(item, notice.channel),
        feedback_id=item.id,
        ticket_id=ticket.id,
        ticket_key=ticket.external_key,
        cluster_id=ticket.cluster_id,
        reports=list(reports) or [item.parent_id or item.id],
        author=author,
        text=item.text,
        url=item.url,
        language=item.language,
        attempts=notice.attempts,
        last_error=notice.last_error,
        external_ref=notice.external_ref,
        created_at=notice.created_at,
        sent_at=notice.sent_at,
    )


def _reports(session: Session, rows: Sequence[tuple[AuthorNotice, Feedback, Ticket]]) -> dict[int, list[int]]:
    """Each notice's reports: all of its author's reports that its ticket stands for, by notice id."""
    by_ticket: dict[int, dict[str, list[int]]] = {}
    for _, _, ticket in rows:
        if ticket.id not in by_ticket:
            authors: dict[str, list[int]] = {}
            for item in _items_of(session, ticket):
                roots = authors.setdefault(author_key(item), [])
                if (item.parent_id or item.id) not in roots:
                    roots.append(item.parent_id or item.id)
            by_ticket[ticket.id] = authors
    return {
        notice.id: by_ticket[ticket.id].get(notice.author_key or author_key(item), [])
        for notice, item, ticket in rows
    }


def list_page(
    *,
    session: Session,
    statuses: Sequence[str] | None,
    channels: Sequence[str] | None,
    language: str | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[NoticeRead], str | None]:
    """Oldest first, like a to-do list; the cursor is the last id seen. Each filter keeps the notices
    whose status, channel or author's language is one of those given."""
    query = (
        select(AuthorNotice, Feedback, Ticket)
        .join(Feedback, Feedback.id == AuthorNotice.feedback_id)
        .join(Ticket, Ticket.id == AuthorNotice.ticket_id)
        .where(AuthorNotice.kind == NoticeKind.resolved)
        .order_by(AuthorNotice.id)
        .limit(limit + 1)
    )
    if statuses:
        query = query.where(AuthorNotice.status.in_(statuses))
    if channels:
        query = query.where(AuthorNotice.channel.in_(channels))
    if language:
        query = query.where(func.lower(Feedback.language) == language.lower())
    if cursor:
        query = query.where(AuthorNotice.id > decode_cursor(cursor))
    rows = [(n, i, t) for n, i, t in session.execute(query).all()]
    next_cursor = encode_cursor(rows[limit - 1][0].id) if len(rows) > limit else None
    rows = rows[:limit]
    reports = _reports(session, rows)
    return [to_read(n, i, t, reports[n.id]) for n, i, t in rows], next_cursor


def languages(*, session: Session) -> list[str]:
    """The authors' languages among the notices, for the page's filter."""
    found = session.scalars(
        select(func.lower(Feedback.language))
        .join(AuthorNotice, AuthorNotice.feedback_id == Feedback.id)
        .where(AuthorNotice.kind == NoticeKind.resolved, Feedback.language.is_not(None))
        .distinct()
    )
    return sorted(value for value in found if value)


def _resolution_notice(session: Session, notice_id: int) -> AuthorNotice:
    """A notice of the community manager's list; routed notices are the worker's alone."""
    notice = session.get(AuthorNotice, notice_id)
    if notice is None or notice.kind != NoticeKind.resolved or notice.ticket_id is None:
        raise NotFound(f"notice {notice_id} does not exist")
    return notice


def read(*, session: Session, notice_id: int) -> NoticeRead:
    notice = _resolution_notice(session, notice_id)
    row = (notice, session.get_one(Feedback, notice.feedback_id), session.get_one(Ticket, notice.ticket_id))
    return to_read(*row, _reports(session, [row])[notice.id])


def mark_done(*, session: Session, notice_id: int, by: str) -> NoticeRead:
    """A manager answered the author by hand. Answering one that a worker is about to send is refused."""
    notice = _resolution_notice(session, notice_id)
    if notice.status == NoticeStatus.pending:
        raise Conflict(
            f"notice {notice_id} is waiting to be sent as a {notice.channel} reply by a worker; "
            "it can be answered by hand once it has failed"
        )
    if notice.status != NoticeStatus.sent:  # manual or failed; a repeat of "done" changes nothing
        notice.status, notice.sent_at = NoticeStatus.sent, utcnow()
        notice.external_ref = f"answered by hand ({by})"[:200]
        notice.lease_token = None
    session.flush()
    return read(session=session, notice_id=notice_id)
