"""The jobs of ``feedback_router.jobs``: classification never waits for an outside system.

A Jira that takes issues but never answers holds up its deliveries; items captured meanwhile are
classified all the same, by the in-process worker of ``serve`` and by Celery workers on Redis.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient

from feedback_router import jobs, worker
from feedback_router.app import create_app
from feedback_router.config import Settings
from feedback_router.processor import get_processor
from feedback_router.queues import CLASSIFY
from tests.fakes.jira import FakeJira
from tests.fakes.server import Hang
from tests.test_crash_safety import log_tail, wait_for, worker_process
from tests.test_end_to_end import EXAMPLES, submit, wait_processed

ROUTES = """\
version: 2
teams:
  product: {sinks: [{type: jira, project: FR, issue_type: Bug}]}
  support: {sinks: [{type: board}]}
rules:
  - {name: product-issues, when: {kind: [bug_report, feature_request, criticism]}, team: product}
  - {name: the-rest, when: {kind: [question, praise, abuse]}, team: support}
"""
CREATE = "/rest/api/*/issue"


def test_classification_has_a_queue_of_its_own_and_every_job_a_task_routed_to_its_queue(settings):
    assert [job.name for job in jobs.JOBS if job.queue == CLASSIFY] == ["classify"]
    app = worker.configure_celery(settings)
    assert set(app.conf.beat_schedule) == set(jobs.BY_NAME)
    for job in jobs.JOBS:
        assert app.amqp.router.route({}, job.task, (), {})["queue"].name == job.queue  # where Celery sends it
        assert job.task in app.tasks


@pytest.fixture
def hanging_jira(configure, tmp_path, fake_jira_cloud: FakeJira) -> Iterator[dict[str, object]]:
    """Settings for a Jira that creates every issue and then keeps its answer back until released."""
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES, encoding="utf-8")
    fake_jira_cloud.script("POST", CREATE, *[Hang(seconds=300)] * 10)
    try:
        yield {
            "routing_file": routes,
            **fake_jira_cloud.connection,
            "delivery_timeout": 300,  # the client waits longer than the test: only release() ends the call
        }
    finally:
        fake_jira_cloud.release()


def classified_while_jira_hangs(client: TestClient, auth: dict[str, dict[str, str]], jira: FakeJira) -> None:
    bug = submit(client, auth, EXAMPLES[0][0])

    def called() -> bool:
        return bool(jira.requests_to("POST", CREATE))

    wait_for(called, timeout=90, explain=lambda: "Jira was never asked to create the issue")

    later = [submit(client, auth, text) for text, _, _ in EXAMPLES[1:]]  # captured while Jira hangs
    items = wait_processed(client, auth, later, timeout=90)

    assert [items[i]["kind"] for i in later] == [kind for _, kind, _ in EXAMPLES[1:]]
    [ticket] = client.get(f"/v1/feedback/{bug}", headers=auth["manager"]).json()["tickets"]
    assert (ticket["sink"], ticket["delivery"]) == ("jira", "sending")  # Jira has not answered yet

    jira.release()
    wait_for(
        lambda: (
            client.get(f"/v1/feedback/{bug}", headers=auth["manager"]).json()["tickets"][0]["delivery"]
            == "delivered"
        ),
        timeout=60,
        explain=lambda: "the held answer did not complete the delivery",
    )
    assert len(jira.issues) == 1


@pytest.mark.slow
def test_the_in_process_worker_classifies_while_jira_hangs(configure, hanging_jira, fake_jira_cloud, auth):
    configure(**hanging_jira)
    with TestClient(create_app()) as client:
        classified_while_jira_hangs(client, auth, fake_jira_cloud)


@contextmanager
def classify_worker(settings: Settings) -> Iterator[None]:
    """A Celery worker in a thread of this process that consumes only the classification queue."""
    worker.configure_celery(settings)
    get_processor(settings)  # load the model before the worker takes its first task
    root = logging.getLogger()
    level = root.level  # the test worker sets the root logger to its own level; later tests need theirs
    try:
        with start_worker(
            worker.celery_app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=30,
            queues=[CLASSIFY],
        ):
            yield
    finally:
        root.setLevel(level)
        # The worker narrowed the queues the app consumes; the next worker in this process consumes all.
        worker.celery_app.close()
        del worker.celery_app.amqp


@pytest.mark.slow
@pytest.mark.redis
def test_celery_classifies_while_the_background_worker_waits_for_a_hanging_jira(
    configure, redis_url, hanging_jira, fake_jira_cloud, tmp_path, auth
):
    settings = configure(redis_url=redis_url, **hanging_jira)
    with (
        TestClient(create_app()) as client,
        worker_process(tmp_path, "background", "--queues=background"),  # Jira's calls: a process apart
        classify_worker(settings),
    ):
        try:
            classified_while_jira_hangs(client, auth, fake_jira_cloud)
        except BaseException:
            print(log_tail(tmp_path, "background"))  # shown with the failure
            raise
