"""Where processing runs: Celery workers on Redis, or a thread inside the API process.

Both run ``process_pending`` from feedback.processing; only the trigger differs. Capture
calls ``wakeup.notify()`` after its commit; a periodic sweep picks up whatever a notification missed
(items accepted while no worker ran, retries that came due, leases that ran out).
"""

import logging
import threading
from pathlib import Path

from celery import signals
from sqlalchemy.exc import OperationalError as DatabaseUnavailable

from feedback_router.clusters.service import recluster_when_due
from feedback_router.clusters.sync import link_merged, link_reports, update_clusters
from feedback_router.config import Settings, get_settings
from feedback_router.erasure.service import sweep as retention
from feedback_router.feedback.processing import process_pending
from feedback_router.loopback.service import sweep as close_the_loop
from feedback_router.model import LoadedModel, get_model
from feedback_router.outlets import Outlets
from feedback_router.routing import live
from feedback_router.tickets.delivery import deliver_comments, deliver_pending
from feedback_router.wakeup import PROCESS_TASK as PROCESS_TASK
from feedback_router.wakeup import celery_app as celery_app
from feedback_router.wakeup import configure_celery as configure_celery
from feedback_router.wakeup import listen
from feedback_router.wakeup import notify as notify

log = logging.getLogger(__name__)

BATCHES_PER_TASK = 50  # a task yields after this, so that a long backlog never pins one task
STOP_SECONDS = 5.0  # `serve` stops within 10 s of SIGTERM: 3 s for open requests, this for the worker


class Processor:
    """The sweep a worker runs, with the model this process holds (``model.get_model``)."""

    def __init__(self, model: LoadedModel) -> None:
        self.model = model
        self.classifier = model.classifier

    @property
    def version_id(self) -> int | None:
        return self.model.version_id

    def refresh(self, settings: Settings) -> None:
        self.model.refresh(settings)

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


def get_processor(settings: Settings) -> Processor:
    return Processor(get_model(settings))


# --- Celery -------------------------------------------------------------------------------


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


_in_process: InProcessWorker | None = None


def start_in_process(settings: Settings) -> InProcessWorker:
    global _in_process
    _in_process = InProcessWorker(get_processor(settings), settings)
    _in_process.start()
    listen(_in_process.wake)
    return _in_process


def stop_in_process() -> None:
    global _in_process
    listen(None)
    if _in_process is not None:
        _in_process.stop()
        _in_process = None


def in_process_alive() -> bool:
    return _in_process is not None and _in_process.is_alive()
