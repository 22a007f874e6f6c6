"""Processing waiting feedback with the real model, on SQLite and PostgreSQL.

Claims, batches, leases, retries and the one-ticket rule, driven through ``process_pending``
and ``Processor.classify`` exactly as the workers drive them.
"""

import threading
import time
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select, update

from classifiers import DEFAULT_MODEL, KINDS, MODELS, Classification, FeedbackClassifier
from feedback_router.config import Settings
from feedback_router.db import session_scope, utcnow
from feedback_router.feedback import processing, service
from feedback_router.feedback.models import Feedback, JobStatus, ProcessingJob
from feedback_router.feedback.processing import claim_due, process_pending, record_failure
from feedback_router.feedback.schemas import FeedbackCreate
from feedback_router.outbox import MAX_BACKOFF_SECONDS
from feedback_router.processor import Processor, get_processor
from feedback_router.routing import live, rules
from feedback_router.tickets.models import Ticket

pytestmark = pytest.mark.slow

BUG = "The export to PDF crashes every time I press save on Android 14."


class FlakyClassifier(FeedbackClassifier):
    """The real classifier behind a backend that fails its first ``failures`` batches.

    The classifier is a dependency handed to ``process_pending``; nothing in the code under
    test is replaced.
    """

    def __init__(self, real: FeedbackClassifier, failures: int) -> None:
        super().__init__(real.pipeline)
        self.failures = failures
        self.calls = 0

    def classify(self, texts: list[str], languages: list[str | None] | None = None) -> list[Classification]:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise RuntimeError("embedding backend went away")
        return super().classify(texts, languages)


@pytest.fixture
def processor(settings: Settings) -> Processor:
    return get_processor(settings)


def add(settings: Settings, *texts: str, source: str = "forum") -> list[int]:
    with session_scope(settings.database_url) as session:
        items = [
            service.create(session=session, feedback_in=FeedbackCreate(text=text, source=source))[0]
            for text in texts
        ]
        return [item.id for item in items]


def item(settings: Settings, feedback_id: int) -> Feedback:
    with session_scope(settings.database_url) as session:
        return session.get_one(Feedback, feedback_id)


def job(settings: Settings, feedback_id: int) -> ProcessingJob:
    with session_scope(settings.database_url) as session:
        return session.scalars(select(ProcessingJob).where(ProcessingJob.feedback_id == feedback_id)).one()


def tickets(settings: Settings, feedback_id: int) -> list[Ticket]:
    with session_scope(settings.database_url) as session:
        return list(session.scalars(select(Ticket).where(Ticket.feedback_id == feedback_id)))


def make_due(settings: Settings) -> None:
    """Jump past every backoff delay and lease instead of sleeping through it."""
    past = utcnow() - timedelta(seconds=1)
    with session_scope(settings.database_url) as session:
        session.execute(update(ProcessingJob).values(available_at=past))


def run_once(settings: Settings, processor: Processor, classifier: FeedbackClassifier | None = None) -> int:
    return process_pending(
        settings=settings,
        classifier=classifier or processor.classifier,
        routing=live.current(settings.routing_file),
    )


def test_processed_item_carries_labels_embedding_route_and_one_ticket(settings, processor):
    (feedback_id,) = add(settings, BUG)

    assert run_once(settings, processor) == 1

    stored = item(settings, feedback_id)
    assert stored.status == "processed" and stored.processed_at is not None
    assert stored.failure_reason is None
    assert stored.kind == "bug_report"
    assert 0.5 < stored.kind_confidence <= 1
    assert set(stored.kind_scores) <= set(KINDS)
    assert stored.kind_scores["bug_report"] == stored.kind_confidence
    assert all(0 <= score <= 1 for score in stored.kind_scores.values())  # independent scores
    assert len(stored.kind_evidence) == 3
    assert {"text", "label", "similarity"} <= set(stored.kind_evidence[0])
    assert stored.model_version.startswith("heads-")
    assert stored.sentiment == "negative" and 0 < stored.sentiment_confidence <= 1
    assert stored.abuse is False
    assert stored.language == "en" and stored.urgency in ("low", "normal", "high")
    assert set(stored.evidence) == {"sentiment", "abuse"}  # no taxonomy configured: no topic
    assert stored.topic is None
    vector = np.frombuffer(stored.embedding, dtype=np.float32)
    assert vector.shape == (MODELS[DEFAULT_MODEL].dimensions,)
    assert np.linalg.norm(vector) == pytest.approx(1, abs=1e-3)
    assert (stored.team, stored.route_rule) == ("product", "product-issues")
    assert "product-issues" in stored.route_reason and "bug_report" in stored.route_reason

    (ticket,) = tickets(settings, feedback_id)
    assert (ticket.sink, ticket.team, ticket.status) == ("board", "product", "open")
    assert ticket.title == BUG
    assert f"fr-{feedback_id}" in ticket.body
    done = job(settings, feedback_id)
    assert (done.status, done.attempts, done.lease_token) == ("done", 1, None)


def test_item_routed_to_triage_gets_no_ticket(settings, processor):
    only_certain = rules.parse(
        "rules:\n  - {name: certain-bugs, when: {kind: bug_report, min_confidence: 0.9999}, team: product}\n"
    )
    (feedback_id,) = add(settings, BUG)

    assert process_pending(settings=settings, classifier=processor.classifier, routing=only_certain) == 1

    stored = item(settings, feedback_id)
    assert stored.status == "processed"
    assert (stored.team, stored.route_rule) == ("triage", None)
    assert "default team triage" in stored.route_reason
    assert tickets(settings, feedback_id) == []


def test_waiting_items_are_claimed_and_embedded_in_batches(settings, processor):
    assert settings.batch_size == 64
    ids = add(settings, *(f"How do I reset my password on device number {n}?" for n in range(150)))

    claims = [run_once(settings, processor) for _ in range(4)]

    assert claims == [64, 64, 22, 0]
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(Feedback).where(Feedback.id.in_(ids))).all()
        assert {row.status for row in rows} == {"processed"}
        assert all(len(row.embedding) == MODELS[DEFAULT_MODEL].dimensions * 4 for row in rows)
        assert session.scalar(select(func.count()).select_from(Ticket)) == sum(
            row.team != "triage" for row in rows
        )


def test_drain_processes_everything_due_and_returns_the_count(configure, processor):
    settings = configure(batch_size=8)
    add(settings, *(f"Please add a dark theme to the reports page, request {n}" for n in range(20)))

    assert processor.classify(settings) == 20
    assert processor.classify(settings) == 0
    with session_scope(settings.database_url) as session:
        assert processing.pending_count(session=session) == 0


def test_processing_again_never_opens_a_second_ticket(settings, processor):
    (feedback_id,) = add(settings, BUG)
    assert run_once(settings, processor) == 1
    assert run_once(settings, processor) == 0  # nothing is due any more

    # A re-delivered job (e.g. reset by an operator) runs the whole item again.
    with session_scope(settings.database_url) as session:
        session.execute(update(ProcessingJob).values(status=JobStatus.pending))
    assert run_once(settings, processor) == 1

    assert len(tickets(settings, feedback_id)) == 1
    assert item(settings, feedback_id).status == "processed"
    assert job(settings, feedback_id).attempts == 2


def test_job_of_a_dead_worker_is_claimed_again_when_its_lease_runs_out(settings, processor):
    (feedback_id,) = add(settings, BUG)
    with session_scope(settings.database_url) as session:
        (dead,) = claim_due(session=session, limit=10, lease_seconds=3600)  # then the worker dies

    assert run_once(settings, processor) == 0  # the lease still holds
    with session_scope(settings.database_url) as session:  # its hour passes, without a sleep
        session.execute(
            update(ProcessingJob)
            .where(ProcessingJob.feedback_id == feedback_id)
            .values(leased_until=utcnow() - timedelta(seconds=1))
        )
    assert run_once(settings, processor) == 1

    assert item(settings, feedback_id).status == "processed"
    assert len(tickets(settings, feedback_id)) == 1
    retaken = job(settings, feedback_id)
    assert (retaken.status, retaken.attempts) == ("done", 2)
    # The dead worker waking up and reporting a failure changes nothing.
    record_failure(settings=settings, claim=dead, error="late")
    assert item(settings, feedback_id).status == "processed"
    assert job(settings, feedback_id).status == "done"


def test_item_whose_worker_dies_every_time_is_given_up_and_spares_the_rest(configure, processor):
    settings = configure(max_attempts=2)
    poison, healthy = add(settings, BUG, "How do I export my notes?")
    for _ in range(2):  # two workers claim the poison item and die before finishing it
        with session_scope(settings.database_url) as session:
            session.execute(
                update(ProcessingJob).where(ProcessingJob.feedback_id == healthy).values(status="done")
            )
            claim_due(session=session, limit=10, lease_seconds=0.05)
            session.execute(
                update(ProcessingJob).where(ProcessingJob.feedback_id == healthy).values(status="pending")
            )
        time.sleep(0.1)

    assert run_once(settings, processor) == 1  # only the healthy item is claimed

    assert item(settings, healthy).status == "processed"
    given_up = item(settings, poison)
    assert given_up.status == "failed"
    assert "gave up after 2 attempts" in given_up.failure_reason
    assert (job(settings, poison).status, job(settings, poison).attempts) == ("failed", 2)
    assert run_once(settings, processor) == 0  # never claimed again


def test_stale_lease_holder_cannot_finish_a_job_someone_else_holds(settings, processor):
    (feedback_id,) = add(settings, BUG)
    with session_scope(settings.database_url) as session:
        (stale,) = claim_due(session=session, limit=10, lease_seconds=0.05)
    time.sleep(0.1)
    with session_scope(settings.database_url) as session:
        (current,) = claim_due(session=session, limit=10, lease_seconds=60)
    assert current.token != stale.token
    (result,) = processor.classifier.classify([BUG])

    with session_scope(settings.database_url) as session:
        processing._apply(session, stale, result, live.current(settings.routing_file), settings)
    assert item(settings, feedback_id).status == "received"
    assert tickets(settings, feedback_id) == []
    assert job(settings, feedback_id).lease_token == current.token

    with session_scope(settings.database_url) as session:
        processing._apply(session, current, result, live.current(settings.routing_file), settings)
    record_failure(settings=settings, claim=stale, error="stale worker")
    assert item(settings, feedback_id).status == "processed"
    assert job(settings, feedback_id).status == "done"
    assert len(tickets(settings, feedback_id)) == 1


def between(value: datetime, start: datetime, end: datetime, low: float, high: float) -> bool:
    """Whether ``value`` lies ``low``..``high`` seconds after some moment in [start, end]."""
    return start + timedelta(seconds=low) <= value <= end + timedelta(seconds=high)


def test_failed_batch_is_retried_with_backoff_then_given_up(configure, processor):
    settings = configure(max_attempts=3, retry_base_seconds=10)
    (feedback_id,) = add(settings, BUG)
    broken = FlakyClassifier(processor.classifier, failures=1000)

    for attempt in (1, 2):
        before = utcnow()
        assert run_once(settings, processor, broken) == 1
        after = utcnow()
        failed, retry = item(settings, feedback_id), job(settings, feedback_id)
        assert failed.status == "failed"
        assert failed.failure_reason == (
            f"attempt {attempt} of 3 failed, retrying: RuntimeError: embedding backend went away"
        )
        assert (retry.status, retry.attempts, retry.lease_token) == ("pending", attempt, None)
        assert retry.last_error == "RuntimeError: embedding backend went away"
        base = 10 * 2 ** (attempt - 1)  # exponential backoff with jitter of ±50 %
        assert between(retry.available_at, before, after, 0.5 * base, 1.5 * base)
        assert run_once(settings, processor, broken) == 0  # not due before its time
        make_due(settings)

    assert run_once(settings, processor, broken) == 1
    gave_up = item(settings, feedback_id)
    assert gave_up.status == "failed"
    assert gave_up.failure_reason == "gave up after 3 attempts: RuntimeError: embedding backend went away"
    assert (job(settings, feedback_id).status, job(settings, feedback_id).attempts) == ("failed", 3)
    make_due(settings)
    assert run_once(settings, processor, broken) == 0  # failed for good: never claimed again
    assert broken.calls == 3
    assert tickets(settings, feedback_id) == []


def test_a_retry_waits_no_longer_than_the_outbox_cap(configure, processor):
    """Processing backs off as deliveries and notices do (one outbox): at most MAX_BACKOFF_SECONDS."""
    settings = configure(max_attempts=3, retry_base_seconds=100_000)
    (feedback_id,) = add(settings, BUG)

    before = utcnow()
    assert run_once(settings, processor, FlakyClassifier(processor.classifier, failures=1)) == 1
    after = utcnow()

    retry = job(settings, feedback_id)
    assert retry.status == "pending"
    assert between(retry.available_at, before, after, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS)


def test_item_that_failed_once_is_processed_on_retry(configure, processor):
    settings = configure(max_attempts=3)
    (feedback_id,) = add(settings, BUG)
    flaky = FlakyClassifier(processor.classifier, failures=1)

    assert run_once(settings, processor, flaky) == 1
    assert item(settings, feedback_id).status == "failed"
    make_due(settings)
    assert run_once(settings, processor, flaky) == 1

    recovered = item(settings, feedback_id)
    assert (recovered.status, recovered.failure_reason, recovered.team) == ("processed", None, "product")
    assert job(settings, feedback_id).last_error is None
    assert len(tickets(settings, feedback_id)) == 1


def test_two_workers_draining_at_once_process_each_item_once(configure, processor):
    settings = configure(batch_size=8)
    ids = add(settings, *(f"The sync fails with error {n} after the last update" for n in range(48)))
    claimed: list[int] = []

    def work() -> None:
        claimed.append(processor.classify(settings))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sum(claimed) == 48  # no job was claimed twice
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(Feedback).where(Feedback.id.in_(ids))).all()
        assert {row.status for row in rows} == {"processed"}
        assert set(session.scalars(select(ProcessingJob.attempts))) == {1}
        per_item = session.execute(
            select(Ticket.feedback_id, func.count()).group_by(Ticket.feedback_id)
        ).all()
        assert {count for _, count in per_item} == {1}
        assert len(per_item) == sum(row.team != "triage" for row in rows)


URGENT = [
    "The whole service is down, every page says 503.",
    "All my notes were deleted after the last update.",
    "There is a security vulnerability in your share links: anyone can open private notes.",
    "If my data is not restored by Friday my lawyer will contact you.",
    "Server nicht erreichbar, Fehler 503 bei jedem Aufruf.",
    "Bitte dringend helfen! Alle meine Notizen sind weg.",
    "Ich habe eine Sicherheitslücke gefunden: geteilte Links sind ohne Passwort offen.",
    "Ich werde euch verklagen, wenn das nicht sofort behoben wird.",
    "Bitte dringend helfen!",
]


@pytest.mark.parametrize("text", URGENT)
def test_the_packaged_rules_send_urgent_posts_to_support_first_with_priority(settings, processor, text):
    (feedback_id,) = add(settings, text)

    assert run_once(settings, processor) == 1

    with session_scope(settings.database_url) as session:
        parts = session.scalars(select(Feedback).where(Feedback.parent_id == feedback_id)).all()
        routed = list(parts) or [session.get_one(Feedback, feedback_id)]  # a mixed post: each part
        for row in routed:
            assert row.urgency == "high", row.urgency_signals
            assert (row.team, row.route_rule) == ("support", "urgent-to-support"), row.route_reason
            first = row.route_explanation["rules"][0]
            assert (first["rule"], first["matched"]) == ("urgent-to-support", True)
            (ticket,) = session.scalars(select(Ticket).where(Ticket.feedback_id == row.id)).all()
            assert (ticket.team, ticket.sink, ticket.priority) == ("support", "board", "high")
