"""The issue's done-when, from the digest's side: a cluster resolved in Jira shows in the next digest,
which reaches Discourse once a manager approved it."""

from datetime import UTC, datetime, timedelta

from feedback_router.db import session_scope
from feedback_router.loopback.service import apply_status
from integrations.base import TicketStatus
from tests.digests.builders import cluster, item, ticket


def test_a_cluster_resolved_in_jira_is_in_the_next_digest_and_published_after_approval(
    api, auth, configure, fake_discourse
):
    settings = configure(
        discourse__url=fake_discourse.url,
        discourse__api_key=fake_discourse.api_key,
        discourse__api_username="feedback-bot",
    )
    resolved_at = datetime.now(UTC) - timedelta(days=2)
    with session_scope(settings.database_url) as session:
        crash = cluster(session, "Export to PDF crashes on Android")
        for n in range(3):
            item(session, f"export crashes {n}", cluster=crash, at=resolved_at - timedelta(days=20 + n))
        issue = ticket(
            session, of=crash, external_status="In Progress", changed_at=resolved_at - timedelta(days=9)
        )
        apply_status(
            session=session,
            ticket=issue,
            status=TicketStatus(name="Done", category="done"),
            at=resolved_at,
            settings=settings,
        )
        assert crash.status == "resolved"

    created = api.post(
        "/v1/digests", json={"community": "forum-en", "language": "en"}, headers=auth["manager"]
    )
    digest = created.json()
    assert (
        "- **You said:** Export to PDF crashes on Android (3 reports). **We did:** Done."
        in digest["markdown"]
    )
    assert fake_discourse.topics == {}  # nothing before approval

    assert api.post(f"/v1/digests/{digest['id']}/approve", headers=auth["manager"]).status_code == 200
    published = api.post(f"/v1/digests/{digest['id']}/publish", headers=auth["manager"])
    assert published.status_code == 200, published.text
    (topic,) = fake_discourse.topics.values()
    assert "Export to PDF crashes on Android (3 reports)" in topic.posts[0].raw
