"""GET /healthz: database, queue and model, each ok or with the reason it is not."""

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from classifiers import resolve_model_path
from feedback_router import worker
from feedback_router.config import get_settings
from feedback_router.db import get_engine

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)

# What anyone may read when a check fails; the error itself (hosts, ports, driver messages) is logged.
FAILED = {
    "database": "cannot reach the database",
    "queue": "cannot reach the queue",
    "model": "the embedding model cannot be found",
}


class Unhealthy(Exception):
    """A check's failure told in words fit for the public answer."""


def _database() -> str:
    with get_engine(get_settings().database_url).connect() as connection:
        connection.execute(text("SELECT 1"))
    return "ok"


def _queue() -> str:
    settings = get_settings()
    if settings.redis_url:
        with worker.celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return "ok (celery on redis)"
    if worker.in_process_alive():
        return "ok (in-process worker)"
    raise Unhealthy("in-process worker is not running")


def _model() -> str:
    resolve_model_path(get_settings().embedding_model)
    return "ok"


@router.get("/healthz")
def healthz() -> JSONResponse:
    checks = {}
    healthy = True
    for name, check in (("database", _database), ("queue", _queue), ("model", _model)):
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports every failure, it never raises
            log.warning("health check %s failed: %s", name, exc)
            reason = str(exc) if isinstance(exc, Unhealthy) else FAILED[name]
            checks[name] = f"error: {reason} (details in the service log)"
            healthy = False
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status_code=200 if healthy else 503
    )
