"""Clusters of similar reports, and the reports that brought a resolved one back."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
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
