"""Engine, sessions and the declarative base. SQLite by default, PostgreSQL by URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import DateTime, Engine, create_engine, event, func, select
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        # PostgreSQL answers in the connection's time zone: the same moment, told in UTC here.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


# Connections one process may hold. The API admits fewer requests at a time (app.MAX_CONCURRENT_REQUESTS),
# each with at most one connection, and the rest is for the in-process worker: a request never waits
# for a connection. Should one still wait, it gives up after POOL_TIMEOUT_SECONDS (a 503, not a hang).
POOL_SIZE = 40
POOL_TIMEOUT_SECONDS = 5.0
# How long a write waits for SQLite's one write lock (another process's transaction, e.g. an import).
SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(url: str) -> Engine:
    pool = {"pool_size": POOL_SIZE, "max_overflow": 0, "pool_timeout": POOL_TIMEOUT_SECONDS}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # WAL lets the API read while the worker thread writes. synchronous=NORMAL: in WAL mode a
            # commit then survives a crash of the process (kill -9) but not of the machine (power
            # loss), and costs no fsync: 3.6 ms -> 0.06 ms a commit here, which is what lets one
            # writer take hundreds of captures a second (PostgreSQL keeps full durability).
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


@lru_cache
def get_engine(url: str) -> Engine:
    return make_engine(url)


@lru_cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = _session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def take_turns(session: Session, *keys: str) -> None:
    """Until the transaction ends, no other transaction passes this call with any of these keys.

    A transaction-scoped advisory lock on PostgreSQL, taken in sorted order so two callers cannot wait
    on each other; SQLite has one writer, so its callers take turns at their first write anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
