"""Clusters of similar reports and what the community is told about them."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.db import Base, UTCDateTime, utcnow


class ClusterStatus(StrEnum):
    open = "open"
    merged = "merged"  # merged_into_id says where its items went
    resolved = "resolved"  # its ticket was resolved


class Cluster(Base):
    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ClusterStatus.open, index=True)
    # The manager's name for it when title_locked, else its title in its reports' majority language.
    title: Mapped[str] = mapped_column(String(200), default="")
    title_locked: Mapped[bool] = mapped_column(Boolean, default=False)  # renamed by a manager: kept
    # Per language of its reports, the title taken from one of them (clusters.titles):
    # {"de": {"text": "...", "feedback_id": 7}, ...}; readers get theirs, or the majority language's.
    titles: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Sum of its items' unit vectors (float32): the centroid's direction, updated per item in O(dim).
    vector_sum: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("clusters.id", ondelete="SET NULL", name="fk_clusters_merged_into_id")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Its Jira issue is written at most every CLUSTER_SYNC_SECONDS, not on every item.
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    synced_size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ClusterReturn(Base):
    """A resolved cluster that a report written after its resolution brought back: the cluster is open
    again, each of its Jira issues hears so once (``tickets.models.TicketComment``), and digests tell
    it as "came back"."""

    __tablename__ = "cluster_returns"
    # One return per resolution: the cluster is open again from then on.
    __table_args__ = (UniqueConstraint("cluster_id", "resolved_at", name="uq_cluster_return_resolution"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    # The report that brought it back.
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the resolution it undid
    came_back_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # when that report was written
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
