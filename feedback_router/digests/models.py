"""Digests as drafted, edited, approved and published."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.db import Base, UTCDateTime, utcnow


class DigestStatus(StrEnum):
    draft = "draft"  # generated or edited; nothing leaves before approval
    approved = "approved"  # ready; a failed publication leaves it here with last_error, to try again
    publishing = "publishing"  # a request is talking to Discourse now (a lease: updated_at + PUBLISH_LEASE)
    published = "published"


class Digest(Base):
    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The items' metadata["community"]; None: every item, whatever its community.
    community: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8))  # en | de
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())  # exclusive
    status: Mapped[str] = mapped_column(String(16), default=DigestStatus.draft, index=True)
    title: Mapped[str] = mapped_column(String(200))
    markdown: Mapped[str] = mapped_column(Text)
    # The figures the draft was written from (DigestSections), kept as they were when it was drafted.
    sections: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_url: Mapped[str | None] = mapped_column(String(2048))
    last_error: Mapped[str | None] = mapped_column(Text)
