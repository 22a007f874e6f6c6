"""Shared fixtures: each database-backed test runs on SQLite and on a real PostgreSQL.

PostgreSQL and Redis are the real servers on 127.0.0.1. Where one is missing the tests that
need it skip with the reason, except in CI (CI=true), where a missing service is a failure.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from feedback_router import plugins  # noqa: E402
from feedback_router.auth import service as keys  # noqa: E402
from feedback_router.auth.models import Role  # noqa: E402
from feedback_router.config import Settings, get_settings  # noqa: E402
from feedback_router.db import get_engine, session_scope  # noqa: E402
from feedback_router.migrate import upgrade  # noqa: E402
from tests.fakes.fixtures import *  # noqa: E402, F403  (local Jira, Slack and webhook servers)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get(
    "FR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("FR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TABLES = (
    "auth_attempts",
    "digests",
    "webhook_receipts",
    "schedule_marks",
    "author_notices",
    "feedback_labels",
    "model_versions",
    "ticket_comments",
    "cluster_returns",
    "tickets",
    "processing_jobs",
    "feedback",
    "clusters",
    "web_sessions",
    "users",
    "api_keys",
)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The built-in integrations come from our own entry points: an install older than pyproject.toml
    lacks them, and hundreds of tests would fail for that one reason."""
    if "jira" not in plugins.registered():
        pytest.exit(
            "the built-in integrations are not registered: reinstall (make install, or pip install -e .)", 2
        )


def unavailable(service: str, reason: object) -> None:
    if IN_CI:
        pytest.fail(f"{service} is required in CI but unreachable: {reason}", pytrace=False)
    pytest.skip(f"{service} is not reachable here: {reason}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the real server for this test session, dropped afterwards."""
    name = f"fr_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection problem means the server is not usable here
        admin.dispose()
        unavailable("PostgreSQL", exc)
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    get_engine(url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'feedback.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Every test that uses the database runs once per backend, on emptied tables."""
    return emptied(request.getfixturevalue(f"{request.param}_url"))


def emptied(url: str) -> str:
    with get_engine(url).begin() as connection:
        if url.startswith("postgresql"):
            connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                connection.execute(text(f"DELETE FROM {table}"))
    return url


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    finally:
        client.close()
    return REDIS_URL


def _configure(monkeypatch: pytest.MonkeyPatch, **values: object) -> Settings:
    for name, value in values.items():
        monkeypatch.setenv(f"FEEDBACK_ROUTER_{name.upper()}", str(value))
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[object]:
    """Set FEEDBACK_ROUTER_* variables for this test; returns the resulting Settings."""
    for name in list(os.environ):
        if name.startswith("FEEDBACK_ROUTER_"):
            monkeypatch.delenv(name)
    base = {
        "database_url": database_url,
        "poll_interval": 0.2,
        "retry_base_seconds": 0.05,
        "auto_migrate": False,
    }

    def apply(**values: object) -> Settings:
        return _configure(monkeypatch, **{**base, **values})

    apply()
    yield apply
    get_settings.cache_clear()


@pytest.fixture
def settings(configure) -> Settings:  # type: ignore[no-untyped-def]
    return get_settings()


@pytest.fixture
def auth(settings: Settings) -> dict[str, dict[str, str]]:
    """Authorization headers for one key of each role."""
    headers = {}
    with session_scope(settings.database_url) as session:
        for role in Role:
            _, secret = keys.create(session=session, role=role, name=f"test {role.value}")
            headers[role.value] = {"Authorization": f"Bearer {secret}"}
    return headers


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    """The API without a worker: capture only, nothing is processed."""
    from feedback_router.app import create_app

    with TestClient(create_app(start_worker=False)) as client:
        yield client


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"
