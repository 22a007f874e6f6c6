"""Processing of waiting feedback: claim jobs, embed and classify in a batch, route, open tickets.

The same functions run in Celery tasks and in the in-process worker thread. A claimed job
carries a lease; a worker that dies leaves it to be claimed again when the lease runs out,
and a job is finished only by the lease holder, so an item ends with exactly one ticket.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from classifiers.pipeline import Classification, FeedbackClassifier

from feedback_router import metrics
from feedback_router.config import Settings
from feedback_router.db import session_scope, utcnow
from feedback_router.feedback.labels import apply_corrections
from feedback_router.feedback.models import Feedback, FeedbackStatus, JobStatus, ProcessingJob
from feedback_router.loopback.notices import open_routed_notice
from feedback_router.outbox import GAVE_UP, Claim, NextAttempt, Outbox, States, backoff
from feedback_router.routing.rules import MANUAL, RoutingConfig
from feedback_router.routing.service import route

log = logging.getLogger(__name__)


JOBS = Outbox(
    ProcessingJob,
    name="processing",
    noun="processing job",
    state="status",
    states=States(
        pending=JobStatus.pending, leased=JobStatus.running, done=JobStatus.done, failed=JobStatus.failed
    ),
    order_by=("id",),  # in arrival order: online clustering sees items as they came
)


@dataclass(frozen=True)
class JobClaim(Claim[ProcessingJob]):
    feedback_id: int


def claim_due(*, session: Session, limit: int, lease_seconds: float) -> list[JobClaim]:
    """Lease up to ``limit`` due jobs: pending ones, and running ones whose lease ran out."""
    claims = JOBS.claim(session, limit=limit, lease_seconds=lease_seconds)
    ids = [claim.id for claim in claims]
    jobs = select(ProcessingJob.id, ProcessingJob.feedback_id).where(ProcessingJob.id.in_(ids))
    items: dict[int, int] = {job_id: feedback_id for job_id, feedback_id in session.execute(jobs)}
    return [JobClaim(id=c.id, attempts=c.attempts, token=c.token, feedback_id=items[c.id]) for c in claims]


def fail_abandoned(*, session: Session, max_attempts: int) -> int:
    """Give up on jobs whose worker vanished on each of their attempts, and fail their items."""
    ids = JOBS.give_up(session, max_attempts=max_attempts)
    if ids:
        session.execute(
            update(Feedback)
            .where(Feedback.id.in_(select(ProcessingJob.feedback_id).where(ProcessingJob.id.in_(ids))))
            .values(status=FeedbackStatus.failed, failure_reason=GAVE_UP.format(max_attempts))
        )
    return len(ids)


def _label(item: Feedback, result: "Classification") -> None:
    """Copy the model's labels onto the item, except those a manager corrected."""
    item.embedding = np.asarray(result.embedding, dtype=np.float32).tobytes()
    item.kind, item.kind_confidence = result.kind, result.confidence
    item.kind_scores, item.kind_evidence = result.scores, result.evidence
    item.sentiment, item.sentiment_confidence = result.sentiment, result.sentiment_confidence
    item.abuse, item.abuse_confidence = result.abuse, result.abuse_confidence
    item.topic, item.topic_confidence = result.topic, result.topic_confidence
    item.urgency, item.urgency_signals = result.urgency, result.urgency_signals
    if not item.language:  # a language the author gave stands
        item.language = result.language
    item.language_confidence = result.language_confidence
    item.evidence = result.other_evidence
    item.model_version = result.model_version
    apply_corrections(item)


def _split(session: Session, item: Feedback, result: "Classification", routing: RoutingConfig) -> None:
    """A mixed message: each part becomes an item of its own, routed on its own, linked to it."""
    existing = session.scalars(select(Feedback).where(Feedback.parent_id == item.id)).all()
    parts = existing or [
        Feedback(
            text=item.text[part.start : part.end],
            source=item.source,
            author_handle=item.author_handle,
            author_display_name=item.author_display_name,
            author_email=item.author_email,
            url=item.url,
            created_at=item.created_at,
            language=item.language,
            meta=item.meta,
            parent_id=item.id,
            span_start=part.start,
            span_end=part.end,
        )
        for part in result.parts
    ]
    for row, part in zip(parts, result.parts, strict=False):
        session.add(row)
        _label(row, part.labels)
        session.flush()
        route(session=session, item=row, routing=routing)
        row.status, row.processed_at = FeedbackStatus.processed, utcnow()
    item.team, item.route_rule, item.route_explanation = None, None, None
    item.route_reason = "mixed message, split into parts routed on their own: " + ", ".join(
        f"#{row.id} {row.kind} → {row.team}" for row in parts
    )


def _apply(
    session: Session,
    claim: JobClaim,
    result: "Classification",
    routing: RoutingConfig,
    settings: Settings,
) -> None:
    job = JOBS.held(session, claim)
    if job is None:
        log.warning(
            "lease lost before commit; another worker owns the job", extra={"feedback_id": claim.feedback_id}
        )
        return
    item = session.get(Feedback, claim.feedback_id)
    if item is None:  # deleted meanwhile: nothing to do
        JOBS.succeed(job)
        return
    if item.erased_at is not None:  # erased meanwhile: what was read is not to be stored
        item.status, item.processed_at = FeedbackStatus.processed, utcnow()
        JOBS.succeed(job)
        return
    _label(item, result)
    # A corrected kind, or a team chosen by hand, keeps the item whole.
    if result.parts and "kind" not in (item.corrected or {}) and item.route_rule != MANUAL:
        _split(session, item, result, routing)
    else:
        route(session=session, item=item, routing=routing)
    item.status = FeedbackStatus.processed
    item.failure_reason = None
    item.processed_at = utcnow()
    # A message forwarded from Slack hears where it went, in its thread: written with the route, so
    # that neither is kept without the other.
    open_routed_notice(session=session, item=item, settings=settings)
    JOBS.succeed(job)


def record_failure(*, settings: Settings, claim: JobClaim, error: str) -> None:
    """Schedule a retry with capped exponential backoff and jitter, or give up after max_attempts."""
    with session_scope(settings.database_url) as session:
        job = JOBS.held(session, claim)
        item = session.get(Feedback, claim.feedback_id)
        if job is None or item is None:
            return
        item.status = FeedbackStatus.failed
        if claim.attempts >= settings.max_attempts:
            JOBS.fail(job, NextAttempt(None, error))
            item.failure_reason = f"gave up after {claim.attempts} attempts: {error}"
        else:
            at = utcnow() + timedelta(seconds=backoff(settings, claim.attempts))
            JOBS.fail(job, NextAttempt(at, error))
            item.failure_reason = (
                f"attempt {claim.attempts} of {settings.max_attempts} failed, retrying: {error}"
            )
        log.warning("processing failed: %s", error, extra={"feedback_id": claim.feedback_id})


def process_pending(*, settings: Settings, classifier: "FeedbackClassifier", routing: RoutingConfig) -> int:
    """Claim one batch of due jobs and process it. Returns how many jobs were claimed."""
    with session_scope(settings.database_url) as session:
        if not JOBS.any_due(session):
            return 0
        fail_abandoned(session=session, max_attempts=settings.max_attempts)
        claims = claim_due(
            session=session, limit=settings.batch_size, lease_seconds=settings.job_lease_seconds
        )
    if not claims:
        return 0
    started = time.perf_counter()
    try:
        with session_scope(settings.database_url) as session:
            ids = [c.feedback_id for c in claims]
            rows = session.execute(
                select(Feedback.id, Feedback.text, Feedback.language).where(Feedback.id.in_(ids))
            )
            texts = {i: (text, language) for i, text, language in rows}
        claims = [c for c in claims if c.feedback_id in texts]
        results = classifier.classify(
            [texts[c.feedback_id][0] for c in claims], [texts[c.feedback_id][1] for c in claims]
        )
    except Exception as exc:  # the batch failed as a whole: release every claim for a retry with backoff
        for claim in claims:
            metrics.failed("processing", exc)
            record_failure(settings=settings, claim=claim, error=f"{type(exc).__name__}: {exc}")
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        return len(claims)
    for claim, result in zip(claims, results, strict=True):
        try:
            with session_scope(settings.database_url) as session:
                _apply(session, claim, result, routing, settings)
            metrics.ITEMS_PROCESSED.inc()
        except Exception as exc:  # one bad item must not stop the batch; it is retried with backoff
            metrics.failed("processing", exc)
            record_failure(settings=settings, claim=claim, error=f"{type(exc).__name__}: {exc}")
    metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
    return len(claims)


def pending_count(*, session: Session) -> int:
    waiting = ProcessingJob.status.in_([JobStatus.pending, JobStatus.running])
    return session.scalar(select(func.count()).select_from(ProcessingJob).where(waiting)) or 0
