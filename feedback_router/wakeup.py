"""Waking a worker when work is waiting: a Celery task on Redis, or the worker thread in the API process.

Capture, imports and retries call ``notify()`` after their commit; it needs none of the worker's code,
so any room may call it. The worker's periodic sweep picks up whatever a notification missed.
"""

import logging
import threading
import time

from celery import Celery
from kombu.exceptions import OperationalError as BrokerError

from feedback_router.config import Settings

log = logging.getLogger(__name__)

PROCESS_TASK = "feedback_router.process_pending"
QUEUE_BACKOFF_SECONDS = 30.0

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


_wake: threading.Event | None = None  # the in-process worker's, while one runs


def listen(wake: threading.Event | None) -> None:
    """Let ``notify()`` wake the in-process worker through ``wake`` (None: no such worker runs)."""
    global _wake
    _wake = wake


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
    elif _wake is not None:
        _wake.set()
