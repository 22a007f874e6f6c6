"""Issue 5's "done when", through a running service, the real model and the local Jira and Discourse.

Thirty forum posts about five problems arrive through the Discourse webhook; they become five
Jira issues (one per cluster) with the right counts and quotes. Resolving one in Jira resolves
its cluster, thanks its authors with a reply in their Discourse topics, and shows in the next
digest, which goes to Discourse once approved.
"""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from feedback_router.app import create_app

pytestmark = pytest.mark.slow

REPORTS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "five_problems.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
]
ROUTES = """\
version: 2
teams:
  product: {sinks: [{type: jira, project: FR, issue_type: Bug}]}
  support: {sinks: [{type: board}]}
  social: {sinks: [{type: board}]}
  moderation: {sinks: [{type: board}]}
rules:
  - name: product-issues
    when: {kind: [bug_report, feature_request, criticism], min_confidence: 0}
    team: product
  - {name: questions, when: {kind: question}, team: support}
  - {name: praise, when: {kind: praise}, team: social}
  - {name: abuse, when: {kind: abuse}, team: moderation}
"""


def wait(condition, timeout: float, what: str, state=lambda: ""):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {timeout} s: {state()}")
        time.sleep(0.2)


def test_thirty_reports_become_five_issues_and_a_resolution_reaches_authors_and_the_digest(
    configure, tmp_path, fake_jira_cloud, fake_discourse, auth
):
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES, encoding="utf-8")
    configure(
        routing_file=str(routes),
        **fake_jira_cloud.connection,
        jira__webhook_secret="jira-hook-secret",
        discourse__url=fake_discourse.url,
        discourse__api_key=fake_discourse.api_key,
        discourse__api_username="feedback-bot",
        discourse__webhook_secret=fake_discourse.webhook_secret,
        discourse__digest_category=5,
        cluster_min_size=1,  # every cluster's first report opens its issue: five issues, no singles
        cluster_sync_seconds=0,
        cluster_recluster_seconds=1,  # re-clustering runs while the reports arrive, and changes nothing
    )
    manager = auth["manager"]
    with TestClient(create_app()) as client:
        by_problem: dict[str, list[int]] = {}
        topics: dict[str, set[int]] = {}
        for n, report in enumerate(REPORTS):
            post = fake_discourse.community_post(
                ("anna", "jo")[n % 2], report["text"], title=f"Forum thread number {n} about the app"
            )
            body, headers = fake_discourse.webhook_delivery(post)
            answer = client.post("/v1/webhooks/discourse", content=body, headers=headers)
            assert answer.status_code == 202, answer.text
            by_problem.setdefault(report["problem"], []).append(answer.json()["id"])
            topics.setdefault(report["problem"], set()).add(post.topic.id)

        def settled():  # type: ignore[no-untyped-def]
            clusters = client.get("/v1/clusters", params={"team": "product"}, headers=manager).json()
            sizes = sum(c["size"] for c in clusters)
            issues = [i for i in fake_jira_cloud.issues if "fr-cluster" in i.fields["labels"]]
            done = sizes == 30 and all(i.fields["summary"].startswith(f"[{6} reports]") for i in issues)
            return clusters if done and len(issues) == len(clusters) else None

        def state() -> str:
            clusters = client.get("/v1/clusters", params={"team": "product"}, headers=manager).json()
            items = client.get("/v1/feedback", params={"limit": 100}, headers=manager).json()
            return json.dumps(
                {
                    "clusters": [(c["id"], c["size"], c["title"]) for c in clusters],
                    "issues": [i.fields["summary"] for i in fake_jira_cloud.issues],
                    "items": [
                        (i.get("status"), i.get("team"), i.get("kind")) for i in items.get("items", items)
                    ],
                }
            )

        clusters = wait(settled, 120, "thirty reports clustered and their issues current", state)

        assert len(clusters) == 5 and len(fake_jira_cloud.issues) == 5
        for problem, ids in by_problem.items():
            details = {client.get(f"/v1/feedback/{i}", headers=manager).json()["cluster_id"] for i in ids}
            assert len(details) == 1, f"{problem} was split over clusters {details}"
            [cluster_id] = details
            detail = client.get(f"/v1/clusters/{cluster_id}", headers=manager).json()
            [ticket] = [t for t in detail["tickets"] if t["sink"] == "jira"]
            issue = fake_jira_cloud.issue(ticket["external_key"])
            assert issue.fields["summary"].startswith("[6 reports] ")
            quotes = json.dumps(issue.fields["description"])
            texts = [r["text"] for r in REPORTS if r["problem"] == problem]
            assert sum(text in quotes for text in texts) >= 3  # in the members' own words

        # Resolve the PDF problem in Jira.
        pdf = client.get(f"/v1/feedback/{by_problem['pdf-export'][0]}", headers=manager).json()
        pdf_cluster = client.get(f"/v1/clusters/{pdf['cluster_id']}", headers=manager).json()
        key = next(t["external_key"] for t in pdf_cluster["tickets"] if t["sink"] == "jira")
        body, headers = fake_jira_cloud.webhook_payload(key, "To Do", "Done", "jira-hook-secret")
        resolution = client.post("/v1/webhooks/jira", content=body, headers=headers)
        assert resolution.status_code == 200 and resolution.json()["notices"] == 2  # all there are

        resolved = client.get(f"/v1/clusters/{pdf['cluster_id']}", headers=manager).json()
        assert resolved["status"] == "resolved"
        replies = wait(
            lambda: (
                [p for p in fake_discourse.posts if p.username == "feedback-bot" and p.reply_to_post_number]
                or [p for p in fake_discourse.posts if p.username == "feedback-bot"]
            ),
            60,
            "thank-you replies",
        )
        # Six reports by two members (anna and jo take turns): each is thanked once for the problem.
        thanked = wait(
            lambda: (
                sorted(p.raw.split()[1] for p in fake_discourse.posts if p.username == "feedback-bot")
                if len([p for p in fake_discourse.posts if p.username == "feedback-bot"]) >= 2
                else None
            ),
            60,
            "two replies",
        )
        assert thanked == ["@anna,", "@jo,"]
        assert replies

        today = datetime.now(UTC).date()
        period = {"period_start": str(today - timedelta(days=6)), "period_end": str(today + timedelta(1))}
        digest = client.post("/v1/digests", json={"language": "en", **period}, headers=manager)
        assert digest.status_code == 201, digest.text
        assert resolved["title"] in digest.json()["markdown"]
        digest_id = digest.json()["id"]
        topics_before = len(fake_discourse.topics)
        assert client.post(f"/v1/digests/{digest_id}/publish", headers=manager).status_code == 409
        assert client.post(f"/v1/digests/{digest_id}/approve", headers=manager).status_code == 200
        published = client.post(f"/v1/digests/{digest_id}/publish", headers=manager)
        assert published.status_code == 200, published.text
        assert len(fake_discourse.topics) == topics_before + 1
