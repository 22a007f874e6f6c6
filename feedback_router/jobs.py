"""What runs when: every background job of the service, its queue and how often it runs.

``JOBS`` is the one list. Celery runs each job as a task of its own (``worker.py``: named
``feedback_router.jobs.<name>``, on the job's queue, asked for by beat at every sweep), and the
in-process worker of ``serve`` runs the same jobs, one thread per queue. Classification has a
queue of its own, so that it never waits for an outside system: a Jira that hangs holds up
deliveries, never the classifying of what was captured.

A job without a period (``every`` is None) runs whenever it is asked to: after a notification
(capture, a retried delivery), after a job that names it in ``then``, and at every sweep, which
finds whatever a notification missed: every ``POLL_INTERVAL`` seconds in ``serve``, every
``max(POLL_INTERVAL, 5)`` seconds from Celery beat. A job with a period runs at most once per that
many seconds among all processes sharing the database (``take_turn``); a period of 0 turns it off.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from feedback_router.clusters.service import recluster
from feedback_router.clusters.sync import link_merged, link_reports, update_clusters
from feedback_router.config import Settings
from feedback_router.db import session_scope
from feedback_router.erasure.service import anonymise_older
from feedback_router.loopback import notices
from feedback_router.loopback.service import poll_statuses, prune_receipts
from feedback_router.outlets import Outlets
from feedback_router.processor import UNBOUNDED, get_processor
from feedback_router.queues import Queue, queue_of, task_name
from feedback_router.schedule import take_turn
from feedback_router.tickets.delivery import deliver_comments, deliver_pending

log = logging.getLogger(__name__)

Stop = threading.Event | None  # set: end after the current batch (the process is stopping)


@dataclass(frozen=True)
class Job:
    """One named piece of background work.

    Parameters:
        name: the job's name; Celery's task is ``feedback_router.jobs.<name>``, and a periodic job's
            turn is kept in the database under it.
        run: does the work that is due, ``(settings, stop, max_batches) -> units done``; it stops
            early once ``stop`` is set or after ``max_batches`` batches.
        every: seconds between runs for the settings (0: off), or None: whenever asked.
        then: the jobs that have work once this one did some (classified items have deliveries and
            notices "routed to ...").
    """

    name: str
    run: Callable[[Settings, Stop, int], int]
    every: Callable[[Settings], float] | None = None
    then: tuple[str, ...] = ()

    @property
    def queue(self) -> Queue:
        """Where it runs: classification on a queue of its own, the rest on ``background`` (queues.py)."""
        return queue_of(self.name)

    @property
    def task(self) -> str:
        return task_name(self.name)


def _stopped(stop: Stop) -> bool:
    return stop is not None and stop.is_set()


def classify(settings: Settings, stop: Stop = None, max_batches: int = UNBOUNDED) -> int:
    """Embed, classify and route captured items until none is due; returns how many were claimed."""
    return get_processor(settings).classify(settings, stop, max_batches)


def deliver(settings: Settings, stop: Stop = None, max_batches: int = UNBOUNDED) -> int:
    """Make the due deliveries to Jira, Slack and webhooks, then the due comments on Jira issues, the
    links between a cluster's issues and the updates of cluster tickets; returns how many deliveries
    were attempted."""
    outlets = Outlets(settings)
    total = 0
    try:
        for _ in range(max_batches):
            if _stopped(stop):
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


def send_notices(settings: Settings, stop: Stop = None, max_batches: int = UNBOUNDED) -> int:
    """Send the author notices that are due (thanks, "fixed"); returns how many were claimed."""
    outlets = Outlets(settings)
    try:
        return notices.send_due(settings=settings, outlets=outlets)
    finally:
        outlets.close()


def poll_jira(settings: Settings, stop: Stop = None, max_batches: int = UNBOUNDED) -> int:
    """Ask Jira for the statuses of open tickets (what a lost webhook did not tell)."""
    outlets = Outlets(settings)
    try:
        return poll_statuses(settings=settings, outlets=outlets)
    finally:
        outlets.close()


def prune(settings: Settings, stop: Stop = None, max_batches: int = UNBOUNDED) -> int:
    prune_receipts(settings)
    return 0


def recluster_teams(settings: Settings, stop: Stop = None, max_batches: int = UNBOUNDED) -> int:
    """Re-cluster every clustered team: merge, split and move."""
    for team in settings.cluster_teams:
        with session_scope(settings.database_url) as session:
            stats = recluster(session=session, team=team, settings=settings)
        log.info("re-clustered %s: %s", team, stats)
    return 0


def retention(settings: Settings, stop: Stop = None, max_batches: int = UNBOUNDED) -> int:
    """Anonymise the items older than ``RETENTION_DAYS``; returns how many items were."""
    assert settings.retention_days is not None  # the job is off without it
    erased = anonymise_older(settings=settings, days=settings.retention_days, stop=stop)
    if erased.items or erased.parts:
        days = settings.retention_days
        log.info("retention: anonymised items older than %s days: %s", days, erased.counts())
    return erased.items


def _jira_poll_seconds(settings: Settings) -> float:
    jira = settings.jira.url is not None and settings.jira.token is not None
    return settings.jira.poll_seconds if jira else 0.0


JOBS: tuple[Job, ...] = (
    Job("classify", classify, then=("deliver", "notices")),
    Job("deliver", deliver),
    Job("jira-poll", poll_jira, every=_jira_poll_seconds),
    Job("webhook-receipts-prune", prune, every=lambda _: 86_400.0),
    Job("notices", send_notices),  # after the poll: a resolved ticket's notices go out at once
    Job("recluster", recluster_teams, every=lambda s: s.cluster_recluster_seconds),
    Job("retention", retention, every=lambda s: 3600.0 if s.retention_days is not None else 0.0),
)
BY_NAME = {job.name: job for job in JOBS}


def due(job: Job, settings: Settings) -> bool:
    """Whether ``job`` runs now in this process: always for one without a period, else when its turn came."""
    if job.every is None:
        return True
    every = job.every(settings)
    return every > 0 and take_turn(settings, job.name, every)


def run_due(
    settings: Settings,
    *names: str,
    stop: Stop = None,
    max_batches: int = UNBOUNDED,
) -> dict[str, int]:
    """Run the named jobs whose turn came, in the order of ``JOBS``; returns the units each did."""
    done: dict[str, int] = {}
    for job in JOBS:
        if job.name not in names or _stopped(stop) or not due(job, settings):
            continue
        done[job.name] = job.run(settings, stop, max_batches)
    return done


def drain(settings: Settings, max_batches: int = UNBOUNDED, stop: Stop = None) -> int:
    """Run every job once in this thread, classification first, as one sweep of a worker would;
    returns how many items were claimed for classification."""
    return run_due(settings, *BY_NAME, stop=stop, max_batches=max_batches).get("classify", 0)
