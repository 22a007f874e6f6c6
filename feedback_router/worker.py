"""Where the jobs of ``jobs.JOBS`` run: Celery workers on Redis, or threads inside the API process.

Both run the same jobs; only the trigger differs. Capture calls ``notify()`` after its commit; a
periodic sweep asks for every job, which picks up whatever a notification missed (items accepted
while no worker ran, retries that came due, leases that ran out) and runs the periodic jobs whose
turn came. Classification runs apart from the rest (its own Celery queue, its own thread), so a
hanging outside system never holds it up.
"""

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from celery import Celery, Task, signals
from kombu import Queue as BrokerQueue
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import OperationalError as DatabaseUnavailable

from feedback_router import jobs
from feedback_router.config import Settings, get_settings
from feedback_router.processor import get_processor
from feedback_router.routing import live

log = logging.getLogger(__name__)

PROCESS_TASK = jobs.BY_NAME["classify"].task
BATCHES_PER_TASK = 50  # a task yields after this, so that a long backlog never pins one task
SWEEP_MIN_SECONDS = 5.0  # Celery beat asks for every job at most this often
QUEUE_BACKOFF_SECONDS = 30.0
STOP_SECONDS = 5.0  # `serve` stops within 10 s of SIGTERM: 3 s for open requests, this for the worker


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
    sweep = max(settings.poll_interval, SWEEP_MIN_SECONDS)
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
        task_queues=[BrokerQueue(queue) for queue in jobs.QUEUES],
        task_default_queue=jobs.BACKGROUND,
        task_routes={job.task: {"queue": job.queue} for job in jobs.JOBS},
        # Beat asks for every job at each sweep; a job with a period runs when its turn came. A sweep
        # still queued when the next is sent (a worker busy with a slow Jira) is dropped, not run late.
        beat_schedule={
            job.name: {"task": job.task, "schedule": sweep, "options": {"expires": sweep}}
            for job in jobs.JOBS
        },
    )
    return celery_app


def run_task(job: jobs.Job) -> int:
    """One Celery run of ``job``: at most BATCHES_PER_TASK batches; when it did work, another run is
    asked for (it finds the rest, or nothing) and so are the jobs that follow it."""
    settings = get_settings()
    if not jobs.due(job, settings):
        return 0
    done = job.run(settings, None, BATCHES_PER_TASK)
    if done and job.every is None:
        celery_app.send_task(job.task)
    for name in job.then if done else ():
        celery_app.send_task(jobs.BY_NAME[name].task)
    return done


def _task(job: jobs.Job) -> Task:
    def run() -> int:
        return run_task(job)

    run.__doc__ = job.run.__doc__
    task: Task = celery_app.task(
        name=job.task,
        autoretry_for=(ConnectionError, TimeoutError, DatabaseUnavailable),
        retry_backoff=True,
        retry_jitter=True,
        max_retries=10,
    )(run)
    return task


TASKS = {job.name: _task(job) for job in jobs.JOBS}


@signals.worker_ready.connect
def _sweep_on_start(**_: object) -> None:
    # Items accepted while no worker ran are picked up as soon as one starts; periodic jobs whose
    # turn came run now rather than a sweep later.
    for job in jobs.JOBS:
        celery_app.send_task(job.task)


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


class Lane(threading.Thread):
    """Runs the jobs of one queue in a thread of the API process: at each sweep, and when woken."""

    def __init__(self, queue: jobs.Queue, settings: Settings, follow_up: Callable[[str], None]) -> None:
        super().__init__(name=f"feedback-router-{queue}", daemon=True)
        self.names = [job.name for job in jobs.JOBS if job.queue == queue]
        self.settings = settings
        self.follow_up = follow_up
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                done = jobs.run_due(self.settings, *self.names, stop=self.stopping)
            except Exception:  # the database may be briefly unavailable; the next sweep retries
                log.exception("in-process worker sweep failed (%s)", self.name)
            else:
                for name, units in done.items():
                    for then in jobs.BY_NAME[name].then if units else ():
                        self.follow_up(then)
            self.wake.wait(self.settings.poll_interval)
            self.wake.clear()


class InProcessWorker:
    """The embedded default's worker: one thread per queue, so that classification never waits for an
    outside system while the other thread calls one."""

    def __init__(self, settings: Settings) -> None:
        self.lanes = {queue: Lane(queue, settings, self.wake) for queue in jobs.QUEUES}

    def start(self) -> None:
        for lane in self.lanes.values():
            lane.start()

    def wake(self, job: str) -> None:
        """Run ``job`` (and the others of its queue) now rather than at the next sweep."""
        self.lanes[jobs.BY_NAME[job].queue].wake.set()

    def stop(self) -> None:
        """Ask each thread to stop after its current batch; wait at most STOP_SECONDS in all (daemon
        threads: a batch still embedding, or a call to a hanging Jira, then ends with the process, its
        claims retaken when their lease runs out)."""
        for lane in self.lanes.values():
            lane.stopping.set()
            lane.wake.set()
        deadline = time.monotonic() + STOP_SECONDS
        for lane in self.lanes.values():
            lane.join(timeout=max(deadline - time.monotonic(), 0.0))

    def is_alive(self) -> bool:
        return all(lane.is_alive() for lane in self.lanes.values())


_in_process: InProcessWorker | None = None


def start_in_process(settings: Settings) -> InProcessWorker:
    global _in_process
    get_processor(settings)  # load the model before the first capture needs it
    _in_process = InProcessWorker(settings)
    _in_process.start()
    return _in_process


def stop_in_process() -> None:
    global _in_process
    if _in_process is not None:
        _in_process.stop()
        _in_process = None


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
            celery_app.send_task(jobs.BY_NAME[job].task, retry=False)
        except (BrokerError, ConnectionError, TimeoutError, OSError) as exc:
            _queue_down_until[settings.redis_url] = time.monotonic() + QUEUE_BACKOFF_SECONDS
            log.warning("could not reach the queue (%s); the outbox sweep will pick the item up", exc)
    elif _in_process is not None:
        _in_process.wake(job)


def in_process_alive() -> bool:
    return _in_process is not None and _in_process.is_alive()
