"""Waking a worker when a job has work waiting: a Celery task on Redis, or a worker thread in the API process.

Capture, imports and retries call ``notify()`` after their commit; it needs none of the worker's code,
so any room may call it. The worker's periodic sweep picks up whatever a notification missed. Tasks
are named after their job (``feedback_router.jobs``) and classification has a queue of its own.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from celery import Celery
from kombu import Exchange
from kombu import Queue as BrokerQueue
from kombu.exceptions import OperationalError as BrokerError

from feedback_router.config import Settings
from feedback_router.queues import BACKGROUND, QUEUES, queue_of, task_name

log = logging.getLogger(__name__)

QUEUE_BACKOFF_SECONDS = 30.0


def _route(name: str, *_: Any, **__: Any) -> dict[str, str]:
    return {"queue": queue_of(name.removeprefix("feedback_router.jobs."))}


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
        # A worker consumes both queues unless told otherwise (`worker --queues`).
        # Each queue its own exchange and key: a queue declared by name alone is bound to the default
        # exchange and key, so every task would reach both queues.
        task_queues=[BrokerQueue(queue, Exchange(queue), routing_key=queue) for queue in QUEUES],
        task_default_queue=BACKGROUND,
        task_routes=(_route,),
    )
    return celery_app


_wake: Callable[[str], None] | None = None  # the in-process worker's, while one runs


def listen(wake: Callable[[str], None] | None) -> None:
    """Let ``notify()`` wake the in-process worker through ``wake(job)`` (None: no such worker runs)."""
    global _wake
    _wake = wake


def notify(settings: Settings, job: str = "classify") -> None:
    """Tell a worker that ``job`` has work waiting. Never fails the caller: the sweep is the safety net.

    After a failure the queue is left alone for a while, so that captures stay fast while
    Redis is down instead of each waiting for a connection timeout.
    """
    if settings.redis_url:
        if time.monotonic() < _queue_down_until.get(settings.redis_url, 0.0):
            return
        try:
            if celery_app.conf.broker_url != settings.redis_url:  # e.g. the import command
                configure_celery(settings)
            celery_app.send_task(task_name(job), retry=False)
        except (BrokerError, ConnectionError, TimeoutError, OSError) as exc:
            _queue_down_until[settings.redis_url] = time.monotonic() + QUEUE_BACKOFF_SECONDS
            log.warning("could not reach the queue (%s); the outbox sweep will pick the item up", exc)
    elif _wake is not None:
        _wake(job)
