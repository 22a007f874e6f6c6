"""Where processing runs: Celery workers on Redis, or a thread inside the API process.

Both run ``process_pending`` from feedback.processing; only the trigger differs. Capture
calls ``notify()`` after its commit; a periodic sweep picks up whatever a notification missed
(items accepted while no worker ran, retries that came due, leases that ran out).
"""

import logging
import threading
from functools import lru_cache
from pathlib import Path

from celery import Celery, signals
from kombu.exceptions import OperationalError as BrokerError

from classifiers import FeedbackClassifier
from feedback_router.config import Settings, get_settings
from feedback_router.feedback.processing import process_pending
from feedback_router.routing import rules

log = logging.getLogger(__name__)

PROCESS_TASK = "feedback_router.process_pending"


class Processor:
    """The loaded model and routing rules, shared by every batch in this process."""

    def __init__(self, *, embedding_model: str | None, batch_size: int, routing_file: Path | None) -> None:
        self.routing = rules.load(routing_file)
        self.classifier = FeedbackClassifier.from_model(embedding_model, batch_size)

    def drain(self, settings: Settings, max_batches: int = 1_000_000) -> int:
        """Process batches until none is due; returns the number of jobs claimed."""
        total = 0
        for _ in range(max_batches):
            claimed = process_pending(settings=settings, classifier=self.classifier, routing=self.routing)
            if not claimed:
                break
            total += claimed
        return total


@lru_cache
def _processor(embedding_model: str | None, batch_size: int, routing_file: Path | None) -> Processor:
    return Processor(embedding_model=embedding_model, batch_size=batch_size, routing_file=routing_file)


def get_processor(settings: Settings) -> Processor:
    return _processor(settings.embedding_model, settings.batch_size, settings.routing_file)


# --- Celery -------------------------------------------------------------------------------

celery_app = Celery("feedback_router")


def configure_celery(settings: Settings) -> Celery:
    celery_app.conf.update(
        broker_url=settings.redis_url,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
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
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=10,
)
def process_pending_task() -> int:
    """Drain due jobs; many triggers for one batch are harmless, the claim decides."""
    settings = get_settings()
    return get_processor(settings).drain(settings, max_batches=50)


@signals.worker_ready.connect
def _sweep_on_start(**_: object) -> None:
    # Items accepted while no worker ran are picked up as soon as one starts.
    celery_app.send_task(PROCESS_TASK)


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
                self.processor.drain(self.settings)
            except Exception:  # the database may be briefly unavailable; the next sweep retries
                log.exception("in-process worker sweep failed")
            self.wake.wait(self.settings.poll_interval)
            self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout=30)


_in_process: InProcessWorker | None = None


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
    """Tell a worker that work is waiting. Never fails the caller: the sweep is the safety net."""
    if settings.redis_url:
        try:
            celery_app.send_task(PROCESS_TASK, retry=False)
        except (BrokerError, ConnectionError, TimeoutError, OSError) as exc:
            log.warning("could not reach the queue (%s); the outbox sweep will pick the item up", exc)
    elif _in_process is not None:
        _in_process.wake.set()


def in_process_alive() -> bool:
    return _in_process is not None and _in_process.is_alive()
