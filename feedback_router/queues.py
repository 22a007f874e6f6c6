"""The queues background jobs run on, and the Celery task of each job (``feedback_router.jobs``).

Classification has a queue of its own, so that it never waits for an outside system. Kept apart from
the Celery app (``wakeup``) so that the job registry knows nothing of where jobs run.
"""

from typing import Literal

Queue = Literal["classify", "background"]
CLASSIFY: Queue = "classify"  # the model only: no outside system is called here
BACKGROUND: Queue = "background"  # Jira, Slack, webhooks, mail, Discourse, and the periodic work
QUEUES: tuple[Queue, ...] = (CLASSIFY, BACKGROUND)


def task_name(job: str) -> str:
    return f"feedback_router.jobs.{job}"


def queue_of(job: str) -> Queue:
    return CLASSIFY if job == "classify" else BACKGROUND
