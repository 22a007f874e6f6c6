"""Tickets: one row per (item, team, destination), on our board or on its way to Jira, Slack or a webhook.

A row for an outside system is written in the routing transaction, before any call: it is the
delivery outbox, and its uniqueness is what makes delivery exactly once.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.db import Base, UTCDateTime, utcnow


class Delivery(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    sending = "sending"  # a worker holds the lease and is calling the outside system
    delivered = "delivered"
    failed = "failed"  # given up; last_error says why


class Ticket(Base):
    __tablename__ = "tickets"
    # An item routed again to another team (by hand, or after a correction) gets that team's tickets too.
    # A cluster's ticket has a cluster and no item; the same rule holds for it.
    __table_args__ = (
        UniqueConstraint("feedback_id", "team", "destination", name="uq_ticket_feedback_team_destination"),
        UniqueConstraint("cluster_id", "team", "destination", name="uq_ticket_cluster_team_destination"),
        Index("ix_tickets_due", "delivery", "available_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE", name="fk_tickets_cluster_id"), index=True
    )
    sink: Mapped[str] = mapped_column(String(32), default="board")  # board | jira | slack | webhook
    destination: Mapped[str] = mapped_column(String(2100), default="board")  # "jira:SUP", "slack:#social"
    team: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # An item ticket's priority, set when it is opened: on the board the item's urgency (low, normal,
    # high), in Jira the name the sink maps the urgency to; None where the sink has none.
    priority: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default="open")  # open | resolved, from the tool
    external_status: Mapped[str | None] = mapped_column(String(64))  # the tool's own name ("In Review")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Delivery to the outside system; the board is delivered when it is written.
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the sink as the routing file said
    delivery: Mapped[str] = mapped_column(String(16), default=Delivery.delivered)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_token: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    external_key: Mapped[str | None] = mapped_column(String(200))  # Jira key, Slack channel/ts, delivery id
    external_url: Mapped[str | None] = mapped_column(String(2048))
    linked_to: Mapped[str | None] = mapped_column(String(200))  # the cluster issue it was linked to
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TicketComment(Base):
    """A comment for a delivered ticket's issue, in the outbox as tickets are: written in the transaction
    that decided it, claimed with a lease, the attempt counted before the call, and looked up by its
    ``ref`` (which the comment's text carries) before any attempt after the first, so it is made once."""

    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(100), unique=True)  # "fr-cluster-7-back-2"
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivery: Mapped[str] = mapped_column(String(16), default=Delivery.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_token: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))  # the comment's id in the tracker
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
