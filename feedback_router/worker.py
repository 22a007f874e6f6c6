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
from typing import Protocol

from celery import Celery, Task, signals
from sqlalchemy.exc import OperationalError as DatabaseUnavailable

from feedback_router import jobs, queues, wakeup
from feedback_router.config import Settings, get_settings
from feedback_router.processor import get_processor
from feedback_router.routing import live
from feedback_router.wakeup import celery_app as celery_app
from feedback_router.wakeup import notify as notify

log = logging.getLogger(__name__)

PROCESS_TASK = jobs.BY_NAME["classify"].task
BATCHES_PER_TASK = 50  # a task yields after this, so that a long backlog never pins one task
SWEEP_MIN_SECONDS = 5.0  # Celery beat asks for every job at most this often
STOP_SECONDS = 5.0  # `serve` stops within 10 s of SIGTERM: 3 s for open requests, this for the worker


# --- Celery -------------------------------------------------------------------------------


def configure_celery(settings: Settings) -> Celery:
    """The Celery app for ``settings`` (wakeup's), with beat asking for every job at each sweep."""
    app = wakeup.configure_celery(settings)
    sweep = max(settings.poll_interval, SWEEP_MIN_SECONDS)
    # A job with a period runs when its turn came. A sweep still queued when the next is sent
    # (a worker busy with a slow Jira) is dropped, not run late.
    app.conf.beat_schedule = {
        job.name: {"task": job.task, "schedule": sweep, "options": {"expires": sweep}} for job in jobs.JOBS
    }
    return app


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

    def __init__(self, queue: queues.Queue, settings: Settings, follow_up: Callable[[str], None]) -> None:
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
        self.lanes = {queue: Lane(queue, settings, self.wake) for queue in queues.QUEUES}

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
    wakeup.listen((lambda _job: process.wake()) if process is not None else None)


def start_in_process(settings: Settings) -> InProcessWorker:
    global _in_process
    get_processor(settings)  # load the model before the first capture needs it
    _in_process = InProcessWorker(settings)
    _in_process.start()
    wakeup.listen(_in_process.wake)
    return _in_process


def stop_in_process() -> None:
    global _in_process
    wakeup.listen(None)
    if _in_process is not None:
        _in_process.stop()
        _in_process = None


def in_process_alive() -> bool:
    if _elsewhere is not None:
        return _elsewhere.is_alive()
    return _in_process is not None and _in_process.is_alive()
