"""Tickets on the built-in board."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.db import Base, UTCDateTime, utcnow


class Ticket(Base):
    __tablename__ = "tickets"
    # One ticket per (item, destination): re-processing never makes a second one.
    __table_args__ = (UniqueConstraint("feedback_id", "sink", name="uq_ticket_feedback_sink"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    sink: Mapped[str] = mapped_column(String(32), default="board")
    team: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
