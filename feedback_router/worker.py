"""Where processing runs: Celery workers on Redis, or a thread inside the API process.

Both run ``process_pending`` from feedback.processing; only the trigger differs. Capture
calls ``notify()`` after its commit; a periodic sweep picks up whatever a notification missed
(items accepted while no worker ran, retries that came due, leases that ran out).
"""

import logging
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from celery import Celery, signals
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import OperationalError as DatabaseUnavailable

from feedback_router import model_versions
from feedback_router.clusters.service import recluster_when_due
from feedback_router.clusters.sync import link_merged, link_reports, update_clusters
from feedback_router.config import Settings, get_settings
from feedback_router.db import session_scope
from feedback_router.erasure.service import sweep as retention
from feedback_router.feedback.processing import process_pending
from feedback_router.loopback.service import sweep as close_the_loop
from feedback_router.routing import live
from feedback_router.tickets.delivery import Outlets, deliver_comments, deliver_pending

log = logging.getLogger(__name__)

PROCESS_TASK = "feedback_router.process_pending"
BATCHES_PER_TASK = 50  # a task yields after this, so that a long backlog never pins one task
QUEUE_BACKOFF_SECONDS = 30.0
STOP_SECONDS = 5.0  # `serve` stops within 10 s of SIGTERM: 3 s for open requests, this for the worker


class Processor:
    """The loaded model, shared by every batch in this process.

    The routing rules are not part of it: each batch takes the rules in force for the settings'
    routing file (routing.live), so that a reload reaches the next batch.
    """

    def __init__(self, *, embedding_model: str | None, batch_size: int, topics_file: Path | None) -> None:
        from classifiers import FeedbackClassifier  # the model libraries load only where a worker runs

        self.classifier = FeedbackClassifier.from_model(
            embedding_model, batch_size, str(topics_file) if topics_file else None
        )
        self.version_id: int | None = None
        self.base_heads = self.classifier.labeler.heads  # trained from the seed sets at warm-up

    def refresh(self, settings: Settings) -> None:
        """Switch to the active model version when `feedback-router train` made a new one."""
        from classifiers.heads import HeadSet

        with session_scope(settings.database_url) as session:
            active = model_versions.active_id(session=session)
            if active == self.version_id:
                return
            if active is None:  # no trained version (any more): back to the seed-trained heads
                assert self.base_heads is not None
                self.classifier.set_heads(self.base_heads)
                self.version_id = None
                return
            row = model_versions.get(session=session, version_id=active)
            assert row is not None
            heads = HeadSet.from_bytes(row.heads)
        try:
            self.classifier.set_heads(heads)
        except ValueError as exc:  # trained for another embedding model: keep working with ours
            log.error("not switching to model version %s: %s", heads.version, exc)
        else:
            log.info("switched to model version %s", heads.version)
        self.version_id = active

    def drain(
        self, settings: Settings, max_batches: int = 1_000_000, stop: threading.Event | None = None
    ) -> int:
        """Process batches until none is due (or ``stop`` is set), then make the deliveries that are due,
        poll Jira for ticket statuses when its turn came, send the author notices that are due and
        anonymise items past ``RETENTION_DAYS`` when that turn came.

        Returns the number of processing jobs claimed.
        """
        self.refresh(settings)
        total = 0
        for _ in range(max_batches):
            if stop is not None and stop.is_set():
                break
            claimed = process_pending(
                settings=settings, classifier=self.classifier, routing=live.current(settings.routing_file)
            )
            if not claimed:
                break
            total += claimed
        deliver(settings, max_batches, stop)
        close_the_loop(settings)  # Jira polled when its turn came, thanks sent when due
        recluster_when_due(settings)
        retention(settings, stop)
        return total


def deliver(settings: Settings, max_batches: int = 1_000_000, stop: threading.Event | None = None) -> int:
    """Make the due deliveries to Jira, Slack and webhooks, then the due comments on Jira issues;
    returns how many deliveries were attempted."""
    outlets = Outlets(settings)
    total = 0
    try:
        for _ in range(max_batches):
            if stop is not None and stop.is_set():
                break
            attempted = deliver_pending(settings=settings, outlets=outlets)
            if not attempted:
                break
            total += attempted
        deliver_comments(settings=settings, outlets=outlets)
        link_reports(settings=settings, outlets=outlets)
        link_merged(settings=settings, outlets=outlets)
        update_clusters(settings=settings, outlets=outlets)
    finally:
        outlets.close()
    return total


@lru_cache
def _processor(embedding_model: str | None, batch_size: int, topics_file: Path | None) -> Processor:
    return Processor(embedding_model=embedding_model, batch_size=batch_size, topics_file=topics_file)


_loading = threading.Lock()


def get_processor(settings: Settings) -> Processor:
    # One load at a time: the API's explain requests and the worker may ask at the same moment.
    with _loading:
        return _processor(settings.embedding_model, settings.batch_size, settings.topics_file)


# --- Celery -------------------------------------------------------------------------------

celery_app = Celery("feedback_router")
_queue_down_until: dict[str, float] = {}  # broker URL -> until when notify() leaves it alone


def configure_celery(settings: Settings) -> Celery:
    if celery_app.conf.broker_url != settings.redis_url:
        # Celery caches its connection and producer pools on first use; without dropping them
        # a new broker URL would be ignored and tasks sent to the old one.
        celery_app.close()
        del celery_app.amqp
    _queue_down_until.clear()  # a fresh configuration tries the queue again at once
    celery_app.conf.update(
        broker_url=settings.redis_url,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        worker_hijack_root_logger=False,  # keep configure_logging(): ours at INFO, libraries at WARNING
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5},
        beat_schedule={
            "outbox-sweep": {"task": PROCESS_TASK, "schedule": max(settings.poll_interval, 5.0)},
        },
    )
    return celery_app


@celery_app.task(
    name=PROCESS_TASK,
    autoretry_for=(ConnectionError, TimeoutError, DatabaseUnavailable),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=10,
)
def process_pending_task() -> int:
    """Drain due jobs; many triggers for one batch are harmless, the claim decides."""
    settings = get_settings()
    claimed = get_processor(settings).drain(settings, max_batches=BATCHES_PER_TASK)
    if claimed >= BATCHES_PER_TASK * settings.batch_size:  # more may wait: hand over to a fresh task
        celery_app.send_task(PROCESS_TASK)
    return claimed


@signals.worker_ready.connect
def _sweep_on_start(**_: object) -> None:
    # Items accepted while no worker ran are picked up as soon as one starts.
    celery_app.send_task(PROCESS_TASK)


def reload_rules_on_sighup_when_ready(routing_file: Path | None) -> None:
    """Make SIGHUP reload the routing rules in this Celery worker process, once it is ready.

    Celery makes SIGHUP restart the worker (reloading the model too); ours replaces that handler
    after Celery installed it. Only the `worker` command asks for it: a worker running in a
    thread (the tests') cannot set signal handlers.
    """

    def reload_on_sighup(**_: object) -> None:
        live.reload_on_sighup(routing_file)

    signals.worker_ready.connect(reload_on_sighup, weak=False)


# --- In-process worker ----------------------------------------------------------------------


class InProcessWorker(threading.Thread):
    """Runs the processing loop in a thread of the API process (the embedded default)."""

    def __init__(self, processor: Processor, settings: Settings) -> None:
        super().__init__(name="feedback-router-worker", daemon=True)
        self.processor = processor
        self.settings = settings
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.processor.drain(self.settings, stop=self.stopping)
            except Exception:  # the database may be briefly unavailable; the next sweep retries
                log.exception("in-process worker sweep failed")
            self.wake.wait(self.settings.poll_interval)
            self.wake.clear()

    def stop(self) -> None:
        """Ask the loop to stop after its current batch; wait at most STOP_SECONDS (a daemon thread:
        a batch still embedding then ends with the process, its jobs retaken when their lease runs out)."""
        self.stopping.set()
        self.wake.set()
        self.join(timeout=STOP_SECONDS)


class Elsewhere(Protocol):
    """A worker in another process of this machine (serve's, app.WorkerProcess), woken the same way."""

    def wake(self) -> None: ...

    def is_alive(self) -> bool: ...


_in_process: InProcessWorker | None = None
_elsewhere: Elsewhere | None = None


def use_worker_process(process: Elsewhere | None) -> None:
    """Wake ``process`` on notify() and report on it as the in-process worker (None: forget it)."""
    global _elsewhere
    _elsewhere = process


def start_in_process(settings: Settings) -> InProcessWorker:
    global _in_process
    _in_process = InProcessWorker(get_processor(settings), settings)
    _in_process.start()
    return _in_process


def stop_in_process() -> None:
    global _in_process
    if _in_process is not None:
        _in_process.stop()
        _in_process = None


def notify(settings: Settings) -> None:
    """Tell a worker that work is waiting. Never fails the caller: the sweep is the safety net.

    After a failure the queue is left alone for a while, so that captures stay fast while
    Redis is down instead of each waiting for a connection timeout.
    """
    if settings.redis_url:
        if time.monotonic() < _queue_down_until.get(settings.redis_url, 0.0):
            return
        try:
            if celery_app.conf.broker_url != settings.redis_url:  # e.g. the import command
                configure_celery(settings)
            celery_app.send_task(PROCESS_TASK, retry=False)
        except (BrokerError, ConnectionError, TimeoutError, OSError) as exc:
            _queue_down_until[settings.redis_url] = time.monotonic() + QUEUE_BACKOFF_SECONDS
            log.warning("could not reach the queue (%s); the outbox sweep will pick the item up", exc)
    elif _in_process is not None:
        _in_process.wake.set()
    elif _elsewhere is not None:
        _elsewhere.wake()


def in_process_alive() -> bool:
    if _elsewhere is not None:
        return _elsewhere.is_alive()
    return _in_process is not None and _in_process.is_alive()
