"""The Alembic migrations apply, reverse and apply again, and match the models."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from feedback_router.db import Base
from feedback_router.migrate import alembic_config, upgrade
from feedback_router.models import load_all
from tests.conftest import POSTGRES_ADMIN_URL


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


def test_postgres_round_trip(postgres_url):
    name = "fr_migrations_check"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        check_round_trip(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
