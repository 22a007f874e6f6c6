"""After an erasure the cluster's Jira issue is rewritten without the author's quote and name, and the
author's own issue, which left before, is listed to be erased in Jira (local fake Jira, real client)."""

import json

import numpy as np
import pytest

from feedback_router.db import session_scope
from feedback_router.erasure.service import erase_author
from feedback_router.jobs import deliver
from tests.routing.helpers import labelled, write

ROUTES = """\
version: 2
teams:
  product: {sinks: [{type: jira, project: FR, issue_type: Bug}]}
rules:
  - {name: product-issues, when: {kind: [bug_report]}, team: product}
"""
BUG = "Zebrasync wipes my notes every time I open the tablet app"
NAME = "Anna Zebrowski"


@pytest.fixture
def wired(configure, tmp_path, fake_jira_cloud):  # type: ignore[no-untyped-def]
    return configure(
        routing_file=str(write(tmp_path / "routes.yaml", ROUTES)),
        **fake_jira_cloud.connection,
        retry_base_seconds=0,
        cluster_sync_seconds=0,
        public_url="https://feedback.example.org",
    )


def report(settings, text: str, seed: int, **author: str) -> int:  # type: ignore[no-untyped-def]
    vector = np.ones(16, dtype=np.float32) + np.random.default_rng(seed).normal(0, 0.05, 16).astype(
        np.float32
    )
    embedding = (vector / np.linalg.norm(vector)).astype(np.float32).tobytes()
    return labelled(settings, text, "bug_report", 0.9, embedding=embedding, language="en", **author)


def test_the_cluster_issue_loses_the_authors_quote_and_their_own_issue_is_listed(wired, fake_jira_cloud):
    report(wired, BUG, 0, author_handle="zebra_anna", author_display_name=NAME)
    report(wired, "Zebrasync deletes notes when the tablet goes offline", 1, author_handle="bert")
    deliver(wired)  # two issues of their own: the cluster is below its size
    report(wired, "Notes vanish after syncing with the tablet", 2, author_handle="carl")
    deliver(wired)
    [issue] = [i for i in fake_jira_cloud.issues if "fr-cluster" in i.fields["labels"]]
    assert BUG in json.dumps(issue.fields) and NAME in json.dumps(issue.fields)
    anna_issue = fake_jira_cloud.issues[0]

    with session_scope(wired.database_url) as session:
        erased = erase_author(session=session, handle="zebra_anna", source=None)
    deliver(wired)

    assert erased.outside == [f"jira:FR {fake_jira_cloud.url.rstrip('/')}/browse/{anna_issue.key}"]
    updated = json.dumps(fake_jira_cloud.issue(issue.key).fields)
    assert BUG not in updated and NAME not in updated and "zebra_anna" not in updated
    assert (
        fake_jira_cloud.issue(issue.key).fields["summary"].startswith("[3 reports] Zebrasync deletes notes")
    )
