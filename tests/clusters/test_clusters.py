"""Clusters through the real routing, delivery and Jira client, against the local fake Jira.

Items carry hand-made unit vectors as embeddings (the model is not the subject here): reports of
one problem point the same way, other problems elsewhere. Each test runs on SQLite and PostgreSQL.
"""

import numpy as np
import pytest
from sqlalchemy import select

from feedback_router.clusters.models import Cluster
from feedback_router.db import session_scope
from feedback_router.feedback.models import Feedback
from feedback_router.jobs import deliver
from feedback_router.tickets.models import Ticket
from tests.fakes.server import Reply
from tests.integrations.pii_cases import leaked
from tests.routing.helpers import labelled, write

ROUTES = """\
version: 2
teams:
  product: {sinks: [{type: jira, project: FR, issue_type: Bug}]}
  support: {sinks: [{type: board}]}
rules:
  - {name: product-issues, when: {kind: [bug_report, feature_request]}, team: product}
  - {name: questions, when: {kind: question}, team: support}
"""
DIM = 16


def direction(problem: int, noise: float = 0.05, seed: int = 0, toward: int | None = None) -> bytes:
    """A unit vector near axis ``problem`` (or between it and axis ``toward``)."""
    vector = np.zeros(DIM, dtype=np.float32)
    vector[problem] = 1.0
    if toward is not None:
        vector[problem], vector[toward] = 0.6, 0.8
    vector += np.random.default_rng(seed).normal(0, noise, DIM).astype(np.float32)
    return (vector / np.linalg.norm(vector)).astype(np.float32).tobytes()


@pytest.fixture
def wired(configure, tmp_path, fake_jira_cloud):  # type: ignore[no-untyped-def]
    return configure(
        routing_file=str(write(tmp_path / "routes.yaml", ROUTES)),
        **fake_jira_cloud.connection,
        retry_base_seconds=0,
        cluster_sync_seconds=0,
        public_url="https://feedback.example.org",
    )


def report(settings, text: str, problem: int, seed: int, kind: str = "bug_report", toward=None) -> int:  # type: ignore[no-untyped-def]
    embedding = direction(problem, seed=seed, toward=toward)
    return labelled(settings, text, kind, 0.9, embedding=embedding, language="en")


def cluster_of(settings, feedback_id: int) -> Cluster:  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        cluster = session.get_one(Cluster, session.get_one(Feedback, feedback_id).cluster_id)
        session.expunge(cluster)
        return cluster


def test_reports_of_one_problem_share_a_cluster_and_others_start_their_own(wired):
    export = [report(wired, f"Export to PDF crashes, case {n}", 0, seed=n) for n in range(3)]
    login = report(wired, "I cannot log in since the update", 1, seed=9)
    question = labelled(wired, "How do I export?", "question", 0.9, embedding=direction(0, seed=5))

    assert len({cluster_of(wired, i).id for i in export}) == 1
    assert cluster_of(wired, export[0]).size == 3
    assert cluster_of(wired, login).id != cluster_of(wired, export[0]).id
    with session_scope(wired.database_url) as session:
        assert session.get_one(Feedback, question).cluster_id is None  # support's questions are not clustered


def test_a_cluster_gets_one_issue_once_it_reaches_the_threshold_and_earlier_reports_are_linked(
    wired, fake_jira_cloud
):
    first = [report(wired, f"Export to PDF crashes on page {n}", 0, seed=n) for n in range(2)]
    deliver(wired)
    assert len(fake_jira_cloud.issues) == 2  # below the threshold: delivered singly

    third = report(wired, "PDF export crashes with big files", 0, seed=7)
    deliver(wired)

    assert len(fake_jira_cloud.issues) == 3  # the cluster's issue, not a third single one
    cluster_issue = fake_jira_cloud.issues[-1]
    assert cluster_issue.fields["summary"].startswith("[3 reports] ")
    assert f"fr-cluster-{cluster_of(wired, third).id}" in cluster_issue.fields["labels"]
    singles = fake_jira_cloud.issues[:2]
    assert all(cluster_issue.key in json_text(issue.comments) for issue in singles)
    with session_scope(wired.database_url) as session:
        own = session.scalars(select(Ticket).where(Ticket.feedback_id == third, Ticket.sink == "jira")).all()
        assert own == []
    assert first  # the first two keep their own issues


def test_a_cluster_title_cut_from_a_report_carries_no_half_of_its_phone_number(wired, fake_jira_cloud):
    phone = "0171 2345678"  # the title's cut (80 characters) falls inside it
    text = f"Export to PDF crashes every time I try it with big files. Ruf an unter {phone}, bitte"
    first = report(wired, text, 0, seed=1)
    for n in range(2, 4):
        report(wired, f"Export to PDF crashes on page {n}", 0, seed=n)
    deliver(wired)

    cluster_issue = fake_jira_cloud.issues[-1]
    assert cluster_issue.fields["summary"].startswith("[3 reports] Export to PDF crashes")
    stored, sent = cluster_of(wired, first).title, json_text(cluster_issue.fields)
    assert leaked(phone, stored) == [] and leaked(phone, sent) == [], (stored, sent)


def test_titles_leave_out_personal_data_that_every_report_repeats(configure, wired):
    from feedback_router.clusters.service import recluster

    for n in range(3):
        report(wired, f"Export crashes, write to jane.roe@example.org or call 0171 2345678 ({n})", 0, seed=n)
    report(wired, "Login fails after the update", 1, seed=9)
    with session_scope(wired.database_url) as session:
        recluster(session=session, team="product", settings=wired)
        titles = [c.title for c in session.scalars(select(Cluster).where(Cluster.status == "open"))]

    assert any("export" in title.lower() for title in titles), titles  # titled by what a report says
    assert not any(word in title.lower() for title in titles for word in ("jane", "roe", "example"))


def json_text(value: object) -> str:
    import json

    return json.dumps(value)


def test_the_cluster_issue_follows_the_cluster_without_duplicates_under_retries(wired, fake_jira_cloud):
    for n in range(3):
        report(wired, f"Sync never finishes, attempt {n}", 2, seed=n)
    fake_jira_cloud.script("POST", "/rest/api/3/issue", Reply(500, {"errorMessages": ["boom"]}))
    deliver(wired)
    [cluster_issue] = [i for i in fake_jira_cloud.issues if "fr-cluster" in i.fields["labels"]]

    for n in range(3, 5):
        report(wired, f"Sync stuck at 99 percent, report {n}", 2, seed=n)
    deliver(wired)

    assert len([i for i in fake_jira_cloud.issues if "fr-cluster" in i.fields["labels"]]) == 1
    updated = fake_jira_cloud.issue(cluster_issue.key)
    assert updated.fields["summary"].startswith("[5 reports] ")
    assert "report 4" in json_text(updated.fields["description"])  # the newest quotes travel
    assert "Newest reports" in json_text(updated.fields["description"])


def test_updates_to_a_cluster_issue_are_paced(configure, wired, fake_jira_cloud):
    paced = configure(**{**_wiring(wired), "cluster_sync_seconds": 3600})
    for n in range(3):
        report(paced, f"Dark mode resets every day {n}", 3, seed=n)
    deliver(paced)
    writes = len(fake_jira_cloud.requests_to("PUT", "/rest/api/3/issue/*"))

    for n in range(3, 8):
        report(paced, f"Dark mode turns itself off {n}", 3, seed=n)
        deliver(paced)

    assert len(fake_jira_cloud.requests_to("PUT", "/rest/api/3/issue/*")) <= writes + 1


def _wiring(settings) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return {
        "routing_file": str(settings.routing_file),
        "jira__url": str(settings.jira.url),
        "jira__user": settings.jira.user,
        "jira__token": settings.jira.token.get_secret_value(),
        "retry_base_seconds": 0,
    }


def test_managers_rename_merge_and_split_and_jira_follows(wired, fake_jira_cloud, api, auth):
    manager = auth["manager"]
    a = [report(wired, f"Upload fails with error 500 #{n}", 4, seed=n) for n in range(3)]
    b = [report(wired, f"Uploads break at 2 GB #{n}", 5, seed=n) for n in range(3)]
    deliver(wired)
    first, second = cluster_of(wired, a[0]).id, cluster_of(wired, b[0]).id

    renamed = api.patch(f"/v1/clusters/{first}", json={"title": "Uploads fail"}, headers=manager)
    assert renamed.status_code == 200 and renamed.json()["title"] == "Uploads fail"
    merged = api.post(f"/v1/clusters/{second}/merge", json={"into": first}, headers=manager)
    assert merged.status_code == 200, merged.text
    assert merged.json()["size"] == 6 and len(merged.json()["items"]) == 6
    gone = api.get(f"/v1/clusters/{second}", headers=manager).json()
    assert (gone["status"], gone["merged_into_id"]) == ("merged", first)
    deliver(wired)

    detail = api.get(f"/v1/clusters/{first}", headers=manager).json()
    [target] = [t["external_key"] for t in detail["tickets"] if t["sink"] == "jira"]
    assert fake_jira_cloud.issue(target).fields["summary"] == "[6 reports] Uploads fail"
    [link] = [r.json() for r in fake_jira_cloud.requests_to("POST", "/rest/api/*/issueLink")]
    assert link["type"]["name"] == "Duplicate" and link["outwardIssue"]["key"] == target

    split = api.post(f"/v1/clusters/{first}/split", json={"feedback_ids": b[:2]}, headers=manager)
    assert split.status_code == 201 and split.json()["size"] == 2
    assert api.get(f"/v1/clusters/{first}", headers=manager).json()["size"] == 4
    listed = api.get("/v1/clusters", params={"status": "open", "team": "product"}, headers=manager).json()
    assert {c["id"] for c in listed} == {first, split.json()["id"]}


def test_cluster_api_refuses_nonsense_with_reasons(wired, api, auth):
    manager = auth["manager"]
    a = report(wired, "Crash on start", 6, seed=1)
    cluster = cluster_of(wired, a).id

    assert api.get("/v1/clusters/999", headers=manager).status_code == 404
    itself = api.post(f"/v1/clusters/{cluster}/merge", json={"into": cluster}, headers=manager)
    assert itself.status_code == 422 and "itself" in itself.text
    everything = api.post(f"/v1/clusters/{cluster}/split", json={"feedback_ids": [a]}, headers=manager)
    assert everything.status_code == 422 and "at least one" in everything.text
    stranger = api.post(f"/v1/clusters/{cluster}/split", json={"feedback_ids": [12345]}, headers=manager)
    assert stranger.status_code == 422 and "12345" in stranger.text
    assert api.get("/v1/clusters", headers=auth["forwarder"]).status_code == 403


def test_reclustering_splits_a_mixed_cluster_and_merges_scattered_ones_keeping_ids(configure, wired):
    from feedback_router.clusters.service import recluster

    lumped = configure(**{**_wiring(wired), "cluster_threshold": 0.05})  # both problems join one cluster
    big = [report(lumped, f"Export crashes {n}", 7, seed=n) for n in range(5)]
    small = [report(lumped, f"Login fails {n}", 7, seed=n, toward=8) for n in range(3)]  # near enough
    scattered = configure(**{**_wiring(wired), "cluster_threshold": 0.999})  # each its own cluster
    alone = [report(scattered, f"Sync is stuck {n}", 9, seed=n) for n in range(3)]
    mixed = cluster_of(wired, big[0]).id
    assert {cluster_of(wired, i).id for i in big + small} == {mixed}
    assert len({cluster_of(wired, i).id for i in alone}) == 3

    tuned = configure(**{**_wiring(wired), "cluster_threshold": 0.4})
    with session_scope(tuned.database_url) as session:
        stats = recluster(session=session, team="product", settings=tuned)

    assert stats["splits"] >= 1 and stats["merges"] >= 2
    assert {cluster_of(tuned, i).id for i in big} == {mixed}  # the bigger half keeps the id
    [login] = {cluster_of(tuned, i).id for i in small}
    assert login != mixed and cluster_of(tuned, small[0]).size == 3
    [sync] = {cluster_of(tuned, i).id for i in alone}
    with session_scope(tuned.database_url) as session:
        gone = session.scalars(select(Cluster).where(Cluster.status == "merged")).all()
        assert {c.merged_into_id for c in gone} == {sync} and len(gone) == 2
        titles = {c.id: c.title for c in session.scalars(select(Cluster).where(Cluster.status == "open"))}
    assert "export" in titles[mixed].lower() and "login" in titles[login].lower()
