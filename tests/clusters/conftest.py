"""The cluster tests run also on a PostgreSQL with pgvector (from ``pgserver``) where it is installed,
so ``attach`` finds the nearest cluster through the pgvector index there (``clusters.index``)."""

import tempfile
import warnings
from collections.abc import Iterator

import pytest

from feedback_router.db import get_engine
from feedback_router.migrate import upgrade
from tests.conftest import emptied, unavailable


@pytest.fixture(scope="session")
def pgvector_url() -> Iterator[str]:
    """A PostgreSQL 16 with the vector extension, private to this test session."""
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (as on servers and in CI) and uses /tmp
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        try:
            import pgserver
        except ImportError as exc:  # a test-only extra
            unavailable("pgserver (PostgreSQL with pgvector)", exc)
        server = pgserver.get_server(tempfile.mkdtemp(prefix="fr-pgvector-"), cleanup_mode="delete")
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    url = uri.replace("postgresql://", "postgresql+psycopg://", 1)
    upgrade(url)
    yield url
    from feedback_router.clusters import index

    index.forget(url)
    get_engine(url).dispose()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        server.cleanup()


@pytest.fixture(params=["sqlite", "postgres", "pgvector"])
def database_url(request: pytest.FixtureRequest) -> str:
    return emptied(request.getfixturevalue(f"{request.param}_url"))
