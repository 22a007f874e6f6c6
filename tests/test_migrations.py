"""The Alembic migrations apply, reverse and apply again, and match the models."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from feedback_router.db import Base
from feedback_router.migrate import alembic_config, upgrade
from feedback_router.models import load_all
from feedback_router.tickets.service import make_title
from tests.conftest import POSTGRES_ADMIN_URL
from tests.integrations.pii_cases import leaked


def check_round_trip(url: str) -> None:
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    upgrade(url)
    load_all()
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == [], "models and migrations disagree; write a migration"


def test_sqlite_round_trip(tmp_path):
    check_round_trip(f"sqlite:///{tmp_path / 'm.db'}")


@contextmanager
def fresh_postgres(name: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgres_round_trip(postgres_url):
    with fresh_postgres("fr_migrations_check") as url:
        check_round_trip(url)


# Rows as 0009's code wrote them: the title cut first, so "0171" was no longer recognised.
PHONE = "0171 2345678"
SAID = f"Export to PDF crashes every time I try it with big files. Ruf an unter {PHONE}, bitte"
CUT_FIRST = "Export to PDF crashes every time I try it with big files. Ruf an unter 0171…"
ROWS_OF_0009 = [
    "INSERT INTO clusters (id, team, status, title, title_locked, size, synced_size, first_seen, last_seen,"
    " created_at, updated_at) VALUES (1, 'product', 'open', :cut, false, 1, 0, :at, :at, :at, :at)",
    "INSERT INTO feedback (id, text, source, received_at, metadata, status, cluster_id)"
    " VALUES (1, :said, 'forum', :at, '{}', 'processed', 1)",
    "INSERT INTO tickets (id, feedback_id, sink, destination, team, title, body, status, created_at,"
    " delivery, attempts) VALUES (1, 1, 'jira', 'jira:FR', 'product', :cut, '', 'open', :at, 'pending', 0)",
    "INSERT INTO author_notices (id, feedback_id, ticket_id, kind, channel, status, message, created_at,"
    " attempts) VALUES (1, 1, 1, 'resolved', 'email', 'pending', :thanks, :at, 0)",
]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_titles_cut_before_redaction_are_redacted_by_the_upgrade(backend, tmp_path, request):
    values = {"cut": CUT_FIRST, "said": SAID, "thanks": f"Hi, thanks for your feedback (“{CUT_FIRST}”)!",
              "at": "2026-12-01 10:00:00"}  # fmt: skip
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'm.db'}"
        else:
            request.getfixturevalue("postgres_url")  # skips where there is no PostgreSQL
            url = stack.enter_context(fresh_postgres("fr_migrations_redaction"))
        command.upgrade(alembic_config(url), "0009")
        engine = create_engine(url)
        with engine.begin() as connection:
            for insert in ROWS_OF_0009:
                connection.execute(text(insert), values)

        upgrade(url)

        with engine.connect() as connection:
            title, cluster_title, thanks = (
                connection.execute(text(query)).scalar_one()
                for query in ("SELECT title FROM tickets", "SELECT title FROM clusters",
                              "SELECT message FROM author_notices")
            )  # fmt: skip
        engine.dispose()
    assert title == cluster_title == make_title(SAID)  # what today's code makes of the report
    assert thanks == f"Hi, thanks for your feedback (“{make_title(SAID)}”)!"
    assert all(leaked(PHONE, value) == [] for value in (title, cluster_title, thanks))


# Notices as written before one per author: anna twice for ticket 1 (one of them sent), bo twice (both
# open), and the parts of one report by a person without a name once.
ROWS_BEFORE_AUTHOR_KEY = [
    "INSERT INTO feedback (id, text, source, received_at, metadata, status, author_handle, parent_id)"
    " VALUES (:id, 'Export crashes', 'forum', :at, '{}', 'processed', :handle, :parent)",
    "INSERT INTO tickets (id, feedback_id, sink, destination, team, title, body, status, created_at,"
    " delivery, attempts)"
    " VALUES (1, NULL, 'jira', 'jira:FR', 'product', 't', '', 'resolved', :at, 'delivered', 0)",
    "INSERT INTO author_notices (id, feedback_id, ticket_id, kind, channel, status, message, created_at,"
    " attempts) VALUES (:id, :id, 1, 'resolved', 'manual', :status, 'Hi', :at, 0)",
]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_duplicate_notices_of_one_author_are_merged_by_the_upgrade(backend, tmp_path, request):
    items = [(1, "anna", None), (2, "@Anna", None), (3, "bo", None), (4, "bo", None), (5, None, None),
             (6, None, 5)]  # fmt: skip
    statuses = {1: "manual", 2: "sent", 3: "manual", 4: "failed", 5: "manual"}
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'm.db'}"
        else:
            request.getfixturevalue("postgres_url")
            url = stack.enter_context(fresh_postgres("fr_migrations_author_key"))
        command.upgrade(alembic_config(url), "0010_redaction")
        engine = create_engine(url)
        at = "2026-12-01 10:00:00"
        with engine.begin() as connection:
            for id_, handle, parent in items:
                connection.execute(text(ROWS_BEFORE_AUTHOR_KEY[0]), {"id": id_, "handle": handle,
                                                                     "parent": parent, "at": at})  # fmt: skip
            connection.execute(text(ROWS_BEFORE_AUTHOR_KEY[1]), {"at": at})
            for id_, status in statuses.items():
                connection.execute(text(ROWS_BEFORE_AUTHOR_KEY[2]), {"id": id_, "status": status, "at": at})

        upgrade(url)

        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, author_key FROM author_notices ORDER BY id")).all()
        engine.dispose()
    # anna's sent one is kept and her open one goes; bo keeps his first; the nameless report its one.
    assert [tuple(row) for row in rows] == [(2, "forum:anna"), (3, "forum:bo"), (5, "report:5")]
