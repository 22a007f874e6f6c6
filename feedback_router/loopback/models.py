"""When periodic work last ran, shared by every worker process."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.db import Base, UTCDateTime


class ScheduleMark(Base):
    """One row per periodic job (``jira-poll``): the last time a worker took its turn.

    In the database rather than in memory, so that many Celery worker processes poll Jira once per
    period between them, not once each, and a restart does not poll again at once.
    """

    __tablename__ = "schedule_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime())
