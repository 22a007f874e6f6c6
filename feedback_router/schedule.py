"""Periodic turns shared by every worker process: a job named ``jira-poll`` runs at most once per period
among all processes that share the database, and a restart does not run it again at once.

The turn is taken in the database (``ScheduleMark``), and each process remembers when the next turn
can come, so a sweep with nothing due costs no query.
"""

import time
from datetime import datetime, timedelta

from sqlalchemy import String, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.config import Settings
from feedback_router.db import Base, UTCDateTime, session_scope, utcnow


class ScheduleMark(Base):
    """One row per periodic job (``jira-poll``): the last time a worker took its turn.

    In the database rather than in memory, so that many Celery worker processes poll Jira once per
    period between them, not once each, and a restart does not poll again at once.
    """

    __tablename__ = "schedule_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime())


_not_before: dict[tuple[str, str], float] = {}  # (database, job) -> monotonic time of its next turn


def forget_schedules() -> None:
    """Forget when this process's periodic jobs are next due (tests start each from scratch)."""
    _not_before.clear()


def take_turn(settings: Settings, name: str, every: float) -> bool:
    """Whether this process runs the periodic job ``name`` now: at most once per ``every`` seconds among
    all processes sharing the database. Between turns it answers from memory."""
    key = (settings.database_url, name)
    if time.monotonic() < _not_before.get(key, 0.0):
        return False
    now = utcnow()
    with session_scope(settings.database_url) as session:
        taken = session.execute(
            update(ScheduleMark)
            .where(ScheduleMark.name == name, ScheduleMark.ran_at <= now - timedelta(seconds=every))
            .values(ran_at=now)
        )
        mark = None if getattr(taken, "rowcount", 0) else session.get(ScheduleMark, name)
        if mark is not None:  # another process had this turn: wait for the next
            wait = (mark.ran_at + timedelta(seconds=every) - now).total_seconds()
            _not_before[key] = time.monotonic() + max(wait, 0.0)
            return False
        if not getattr(taken, "rowcount", 0):  # the first turn ever
            try:
                with session.begin_nested():
                    session.add(ScheduleMark(name=name, ran_at=now))
                    session.flush()
            except IntegrityError:  # another process took it first
                _not_before[key] = time.monotonic() + every
                return False
    _not_before[key] = time.monotonic() + every
    return True
