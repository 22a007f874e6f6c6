"""Feedback items and their processing jobs (the outbox)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    type_coerce,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.db import Base, UTCDateTime, utcnow


class Source(StrEnum):
    api = "api"
    forum = "forum"
    twitter = "twitter"
    facebook = "facebook"
    instagram = "instagram"
    youtube = "youtube"
    linkedin = "linkedin"
    email = "email"
    slack = "slack"
    app_review = "app_review"
    other = "other"


class FeedbackStatus(StrEnum):
    received = "received"
    processed = "processed"
    failed = "failed"


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_feedback_source_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), index=True)
    author_handle: Mapped[str | None] = mapped_column(String(200))
    author_display_name: Mapped[str | None] = mapped_column(String(200))
    author_email: Mapped[str | None] = mapped_column(String(320))
    url: Mapped[str | None] = mapped_column(String(2048))
    external_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    meta: Mapped[dict[str, str]] = mapped_column("metadata", JSON, default=dict)
    # Who sent it in for the author: a user, an API key or a Slack member (see auth.Caller).
    forwarded_by: Mapped[str | None] = mapped_column(String(200))
    # When its author's data was erased (on request, or by retention): text replaced, author cleared.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    status: Mapped[str] = mapped_column(String(16), default=FeedbackStatus.received, index=True)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # What the pipeline understood.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    kind: Mapped[str | None] = mapped_column(String(32), index=True)
    kind_confidence: Mapped[float | None] = mapped_column(Float)
    kind_scores: Mapped[dict[str, float] | None] = mapped_column(JSON)
    kind_evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(100))
    sentiment: Mapped[str | None] = mapped_column(String(16), index=True)
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    abuse: Mapped[bool | None] = mapped_column(Boolean, index=True)
    abuse_confidence: Mapped[float | None] = mapped_column(Float)
    urgency: Mapped[str | None] = mapped_column(String(16), index=True)
    urgency_signals: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    language_confidence: Mapped[float | None] = mapped_column(Float)
    topic: Mapped[str | None] = mapped_column(String(64), index=True)
    topic_confidence: Mapped[float | None] = mapped_column(Float)
    # Nearest labelled examples behind the sentiment, abuse and topic labels, per task.
    evidence: Mapped[dict[str, list[dict[str, Any]]] | None] = mapped_column(JSON)
    # Labels a manager set by hand: {"kind": "bug_report", ...}; they win over the model's.
    corrected: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # A part of a mixed message: the original item and the part's span in its text.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE", name="fk_feedback_parent_id"), index=True
    )
    span_start: Mapped[int | None] = mapped_column(Integer)
    span_end: Mapped[int | None] = mapped_column(Integer)

    # The cluster of similar reports it belongs to (product reports only), and how close it is.
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("clusters.id", ondelete="SET NULL", name="fk_feedback_cluster_id"), index=True
    )
    cluster_similarity: Mapped[float | None] = mapped_column(Float)

    # Where it went and why.
    team: Mapped[str | None] = mapped_column(String(32), index=True)
    route_rule: Mapped[str | None] = mapped_column(String(100))
    route_reason: Mapped[str | None] = mapped_column(Text)
    # Labels, every rule tried and why it failed or matched, and the team's sinks (RouteExplanation).
    route_explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @hybrid_property
    def written_at(self) -> datetime:
        """The moment the report was written, on its source's clock: what history counts (trends, the
        overview, digests, "this week"); ``received_at`` is for operations (queues, retention).

        The source's ``created_at`` where it gave one, else the arrival; never later than the
        arrival, as a source whose clock runs ahead would otherwise date a report in the future.
        """
        if self.created_at is not None and (self.received_at is None or self.created_at < self.received_at):
            return self.created_at
        return self.received_at

    @written_at.inplace.expression
    @classmethod
    def _written_at_expression(cls) -> ColumnElement[datetime]:
        earlier = and_(cls.created_at.is_not(None), cls.created_at < cls.received_at)
        return type_coerce(case((earlier, cls.created_at), else_=cls.received_at), UTCDateTime())


class ProcessingJob(Base):
    """Outbox row, committed with its feedback item; a worker claims it with a lease."""

    __tablename__ = "processing_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.pending, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    lease_token: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class FeedbackLabel(Base):
    """A manager's correction of one label; it becomes a training example."""

    __tablename__ = "feedback_labels"
    __table_args__ = (UniqueConstraint("feedback_id", "task", name="uq_feedback_label_task"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    task: Mapped[str] = mapped_column(String(16))  # kind | sentiment | abuse | topic | team
    value: Mapped[str] = mapped_column(String(64))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
