"""What closing the loop keeps: notices to authors, and the webhook deliveries already applied."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.db import Base, UTCDateTime, utcnow


class NoticeStatus(StrEnum):
    pending = "pending"  # to be sent by a worker
    sent = "sent"
    manual = "manual"  # no integration can reply on that channel: listed for a community manager
    failed = "failed"


class NoticeKind(StrEnum):
    resolved = "resolved"  # the author is thanked: their report's ticket was resolved
    routed = "routed"  # a message forwarded by the Slack shortcut: where it went, in its thread


class AuthorNotice(Base):
    """A message to the place a report came from: its author thanked once per resolved ticket, however
    many of their reports it covers, or, for a message forwarded by the Slack shortcut, once per item
    where it was routed."""

    __tablename__ = "author_notices"
    __table_args__ = (
        UniqueConstraint("feedback_id", "ticket_id", name="uq_author_notice_feedback_ticket"),
        # A routed notice has no ticket, so the constraint above cannot hold it to one per item.
        Index(
            "uq_author_notice_routed",
            "feedback_id",
            unique=True,
            sqlite_where=text("kind = 'routed'"),
            postgresql_where=text("kind = 'routed'"),
        ),
        # One thank-you per author and resolved ticket (loopback.notices.author_key); routed notices
        # have no ticket and notices older than the key have none, so neither is held by it.
        Index("uq_author_notice_ticket_author", "ticket_id", "author_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    # The resolved ticket; None for a routed notice.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=NoticeKind.resolved)
    # Who is thanked (``<source>:<handle>``, ``email:…`` or ``report:<id>``); None for routed notices.
    author_key: Mapped[str | None] = mapped_column(String(400))
    channel: Mapped[str] = mapped_column(String(32))  # discourse | slack | email | manual
    status: Mapped[str] = mapped_column(String(16), default=NoticeStatus.pending, index=True)
    message: Mapped[str] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sending, as deliveries do (loopback.notices): the next attempt is due at ``available_at``; a
    # worker that claims it sets ``lease_token`` and moves ``available_at`` to the end of its lease.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_token: Mapped[str | None] = mapped_column(String(64))


class WebhookReceipt(Base):
    """A webhook delivery already applied; the sender's retry of it is acknowledged and ignored."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("source", "delivery_id", name="uq_webhook_receipt_source_delivery"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # jira | discourse
    delivery_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
