"""Recurring problems (issue 15): a new report close to a resolved cluster brings it back, open again,
instead of a fresh cluster and a fresh Jira issue that know nothing of the fix; the cluster's issue
hears so in one comment (through the real ``jira`` client, against the local fake), and the digest
tells it as "came back". Each test runs on SQLite and PostgreSQL."""

import json
from datetime import timedelta

from sqlalchemy import select, update

from feedback_router.clusters.models import Cluster, ClusterReturn, ClusterStatus
from feedback_router.db import session_scope, utcnow
from feedback_router.digests import facts as digest_facts
from feedback_router.digests import render
from feedback_router.jobs import deliver
from feedback_router.loopback.service import poll_statuses
from feedback_router.outlets import Outlets
from feedback_router.tickets.models import Delivery, TicketComment
from tests.clusters import test_clusters
from tests.clusters.test_clusters import cluster_of, direction, report
from tests.fakes.server import Hang
from tests.routing.helpers import labelled

IMPATIENT = 0.5  # the delivery timeout where the fake holds its answer back

wired = test_clusters.wired  # the fixture: settings wired to the fake Jira


def resolved_sync_cluster(settings, fake_jira) -> tuple[Cluster, str]:  # type: ignore[no-untyped-def]
    """Three sync reports make a cluster with its own issue, which the team then resolves in Jira."""
    first = [report(settings, f"Sync loses my notes, case {n}", 0, seed=n) for n in range(3)]
    deliver(settings)
    cluster = cluster_of(settings, first[0])
    [issue] = [i for i in fake_jira.issues if f"fr-cluster-{cluster.id}" in i.fields["labels"]]
    fake_jira.set_status(issue.key, "Done")
    outlets = Outlets(settings)
    try:
        assert poll_statuses(settings=settings, outlets=outlets) >= 1
    finally:
        outlets.close()
    assert cluster_of(settings, first[0]).status == ClusterStatus.resolved
    return cluster, issue.key


def comments_saying(fake_jira, key: str, words: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return [c for c in fake_jira.issue(key).comments if words in json.dumps(c["body"])]


def test_a_new_report_brings_a_resolved_cluster_back_and_jira_and_the_digest_say_so(
    wired, fake_jira_cloud, api, auth
):
    cluster, key = resolved_sync_cluster(wired, fake_jira_cloud)
    issues_before = len(fake_jira_cloud.issues)

    again = report(wired, "Sync lost my notes again since yesterday", 0, seed=11)
    unrelated = report(wired, "The app crashes when I open a PDF", 1, seed=12)
    deliver(wired)
    deliver(wired)  # a second sweep adds nothing

    back = cluster_of(wired, again)
    assert back.id == cluster.id and back.status == ClusterStatus.open and back.resolved_at is None
    assert cluster_of(wired, unrelated).id != cluster.id  # an unrelated report still opens its own
    detail = api.get(f"/v1/clusters/{cluster.id}", headers=auth["manager"]).json()
    assert detail["status"] == "open" and detail["summary"]["came_back"]["feedback_id"] == again
    # No fresh issue for the sync report (the unrelated one gets its own, below the cluster size).
    assert len(fake_jira_cloud.issues) == issues_before + 1
    [comment] = comments_saying(fake_jira_cloud, key, "came back")
    text = json.dumps(comment["body"])
    assert f"/inbox?id={again}" in text and "Sync lost" not in text  # a link, not the member's words
    with session_scope(wired.database_url) as session:
        [returned] = session.scalars(select(ClusterReturn)).all()
        [note] = session.scalars(select(TicketComment)).all()
        assert (returned.cluster_id, returned.feedback_id) == (cluster.id, again)
        assert note.delivery == Delivery.delivered and note.external_id == comment["id"]
        now = utcnow()
        sections = digest_facts.gather(
            session=session, community=None, start=now - timedelta(days=7), end=now, settings=wired
        )
    assert [(w.cluster_id, w.reports) for w in sections.came_back] == [(cluster.id, 4)]
    assert cluster.id not in {w.cluster_id for w in sections.in_progress}
    for language, heading in (("en", "## Came back"), ("de", "## Wieder aufgetreten")):
        text = render.markdown(
            language=language, sections=sections, community=None, start=now - timedelta(days=7), end=now
        )
        assert heading in text and cluster.title.split()[0] in text


def test_the_came_back_comment_is_made_once_when_jira_answers_too_late(configure, wired, fake_jira_cloud):
    cluster, key = resolved_sync_cluster(wired, fake_jira_cloud)
    impatient = configure(
        routing_file=str(wired.routing_file),
        **fake_jira_cloud.connection,
        retry_base_seconds=0,
        public_url="https://feedback.example.org",
        delivery_timeout=IMPATIENT,
    )
    fake_jira_cloud.script("POST", f"/rest/api/3/issue/{key}/comment", Hang(30))  # made; no answer comes
    report(impatient, "Sync lost my notes again", 0, seed=11)

    deliver(impatient)
    with session_scope(impatient.database_url) as session:
        [note] = session.scalars(select(TicketComment)).all()
        assert note.delivery == Delivery.pending and note.last_error
        session.execute(update(TicketComment).values(available_at=utcnow()))
    deliver(impatient)

    assert len(comments_saying(fake_jira_cloud, key, "came back")) == 1
    assert len(fake_jira_cloud.requests_to("POST", f"/rest/api/3/issue/{key}/comment")) == 1  # looked up
    with session_scope(impatient.database_url) as session:
        assert session.scalars(select(TicketComment)).one().delivery == Delivery.delivered


def test_an_old_report_written_before_the_fix_joins_the_resolved_cluster_quietly(wired, fake_jira_cloud):
    cluster, key = resolved_sync_cluster(wired, fake_jira_cloud)
    written = utcnow() - timedelta(days=20)  # imported history: written long before the resolution
    old = labelled(
        wired, "Sync loses notes", "bug_report", 0.9, embedding=direction(0, seed=21), created_at=written
    )
    deliver(wired)

    joined = cluster_of(wired, old)
    assert joined.id == cluster.id and joined.status == ClusterStatus.resolved
    assert comments_saying(fake_jira_cloud, key, "came back") == []
    with session_scope(wired.database_url) as session:
        assert session.scalars(select(ClusterReturn)).all() == []
