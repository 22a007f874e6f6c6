"""GET /healthz: database, queue and model, each ok or with the reason it is not. GET /metrics: the
service's figures for Prometheus (see metrics.py)."""

import logging
from collections.abc import Iterable, Iterator

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from classifiers import ModelNotFoundError, model_id, resolve_model_path
from feedback_router import metrics, model_versions, worker
from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import Role
from feedback_router.config import Settings, get_settings
from feedback_router.db import Base, get_engine
from feedback_router.feedback.models import JobStatus, ProcessingJob
from feedback_router.loopback.models import AuthorNotice, NoticeStatus
from feedback_router.tickets.models import Delivery, Ticket

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


# outbox -> its table, and what is waiting for its turn, claimed by a worker now, given up for good
OUTBOXES: dict[str, tuple[type[Base], ColumnElement[bool], ColumnElement[bool], ColumnElement[bool]]] = {
    "processing": (
        ProcessingJob,
        ProcessingJob.status == JobStatus.pending,
        ProcessingJob.status == JobStatus.running,
        ProcessingJob.status == JobStatus.failed,
    ),
    "deliveries": (
        Ticket,
        Ticket.delivery == Delivery.pending,
        Ticket.delivery == Delivery.sending,
        Ticket.delivery == Delivery.failed,
    ),
    "author_notices": (  # a claimed notice stays pending, with a lease
        AuthorNotice,
        (AuthorNotice.status == NoticeStatus.pending) & AuthorNotice.lease_token.is_(None),
        (AuthorNotice.status == NoticeStatus.pending) & AuthorNotice.lease_token.is_not(None),
        AuthorNotice.status == NoticeStatus.failed,
    ),
}


class DatabaseFigures:
    """What the database says, the same whichever process is scraped: backlogs, failures, model."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "feedback_router_backlog", "Work waiting in each outbox, by state", labels=["outbox", "state"]
        )
        failed = GaugeMetricFamily(
            "feedback_router_outbox_failed", "Work given up for good in each outbox", labels=["outbox"]
        )
        for outbox, (table, waiting, claimed, given_up) in OUTBOXES.items():
            backlog.add_metric([outbox, "waiting"], self._count(table, waiting))
            backlog.add_metric([outbox, "claimed"], self._count(table, claimed))
            failed.add_metric([outbox], self._count(table, given_up))
        yield backlog
        yield failed
        yield InfoMetricFamily("feedback_router_model", "The embedding model and heads in use", self._model())

    def _count(self, table: type[Base], where: ColumnElement[bool]) -> int:
        return self.session.scalar(select(func.count()).select_from(table).where(where)) or 0

    def _model(self) -> dict[str, str]:
        try:
            embedding = model_id(self.settings.embedding_model)
        except ModelNotFoundError:
            embedding = "not found"
        active = model_versions.active_id(session=self.session)
        row = model_versions.get(session=self.session, version_id=active) if active is not None else None
        return {"embedding_model": embedding, "heads_version": row.version if row else "seed"}


_admin = require(Role.admin)


async def metrics_access(request: Request) -> None:
    """An admin key, unless METRICS_OPEN lets a scraper in without one."""
    if not get_settings().metrics_open:
        await _admin(request, None, None)  # the Bearer and cookie arguments only document the schemes


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(metrics_access)])
def prometheus_metrics(session: Session = Depends(get_session, scope="function")) -> Response:
    figures = CollectorRegistry()
    figures.register(DatabaseFigures(session, get_settings()))
    registries: Iterable[CollectorRegistry] = (metrics.process_registry(), figures)
    return Response(b"".join(generate_latest(r) for r in registries), media_type=CONTENT_TYPE_LATEST)
