"""/v1/digests end to end: draft, preview, edit, approve, publish to the local fake Discourse, export.

Data is written straight into the database; publishing talks real HTTP to tests/fakes/discourse.py,
which answers as Discourse does (403 for a wrong key, 422 for a title already used).
"""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from feedback_router.db import session_scope, utcnow
from feedback_router.digests.models import Digest, DigestStatus
from tests.digests.builders import PERIOD, community_scene, item
from tests.fakes.server import Hang, Reply

EDITED = "We heard you about **exports**. Thank you all for the feedback this week!\n"


@pytest.fixture
def scene(settings):  # type: ignore[no-untyped-def]
    with session_scope(settings.database_url) as session:
        return {name: row.id for name, row in community_scene(session).items()}


@pytest.fixture
def forum(configure, fake_discourse):  # type: ignore[no-untyped-def]
    """Settings that publish to the fake Discourse's Feedback category."""
    configure(
        discourse__url=fake_discourse.url,
        discourse__api_key=fake_discourse.api_key,
        discourse__api_username="feedback-bot",
        discourse__digest_category=5,
        delivery_timeout=30,  # a fake answering late on a busy machine is no fault
    )
    return fake_discourse


def draft(api, auth, **body):  # type: ignore[no-untyped-def]
    response = api.post("/v1/digests", json={"community": "forum-en", "language": "en", **PERIOD, **body},
                        headers=auth["manager"])  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


def test_a_draft_has_every_section_in_markdown_and_html(api, auth, scene):
    digest = draft(api, auth)

    assert digest["status"] == "draft" and digest["community"] == "forum-en" and digest["language"] == "en"
    assert digest["title"] == "You said, we did: 16–22 November 2026 (forum-en)"
    assert digest["period_start"].startswith("2026-11-16T00:00:00") and digest["last_error"] is None
    sections = digest["sections"]
    assert [(t["cluster_id"], t["count"], t["change"]) for t in sections["themes"]] == [
        (scene["export"], 3, 2),
        (scene["dark"], 1, 1),
    ]
    assert [w["title"] for w in sections["in_progress"]] == [
        "Export to PDF crashes on Android",
        "Search ignores umlauts",
    ]
    assert [w["title"] for w in sections["shipped"]] == ["Login fails with SSO"]
    assert sections["praise"]["count"] == 3
    markdown = digest["markdown"]
    assert "- **Export to PDF crashes on Android**: 3 reports (↑ 2 from 1)" in markdown
    assert "- **You said:** Login fails with SSO (2 reports). **We did:** Done." in markdown
    assert "> “The new editor is wonderful” — kim" in markdown
    assert "<li><strong>Search ignores umlauts</strong> (1 report): In Review</li>" in digest["html"]


def test_a_german_draft(api, auth, scene):
    digest = draft(api, auth, language="de")
    assert digest["title"] == "Ihr habt gesagt, wir haben gehandelt: 16.–22. November 2026 (forum-en)"
    assert "- **Export to PDF crashes on Android**: 3 Meldungen (↑ 2 gegenüber 1)" in digest["markdown"]
    assert "- **Dark mode, please**: 1 Meldung (neu)" in digest["markdown"]
    assert "**Wir haben gehandelt:** Done." in digest["markdown"]
    assert "In diesem Zeitraum haben uns 3 lobende Nachrichten erreicht." in digest["markdown"]


def test_a_malicious_quote_is_shown_as_text(api, auth, settings):
    attack = "<script>alert(1)</script><img src=x onerror=alert(2)> [win](javascript:alert(3)) **pwned**"
    with session_scope(settings.database_url) as session:
        item(session, attack, kind="praise", handle="<b>mallory</b>")
    digest = draft(api, auth)
    for markup in ("<script", "<img", "<a ", "<strong>pwned", "<b>"):
        assert markup not in digest["html"]
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in digest["html"]
    assert "— &lt;b&gt;mallory&lt;/b&gt;</p>" in digest["html"]


def test_the_default_period_is_the_last_seven_whole_days(api, auth, settings):
    digest = draft(api, auth, period_start=None, period_end=None)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    assert datetime.fromisoformat(digest["period_end"]) == today
    assert datetime.fromisoformat(digest["period_start"]) == today - timedelta(days=7)


def test_wrong_input_is_refused(api, auth, settings):
    bad_language = api.post("/v1/digests", json={"language": "fr"}, headers=auth["manager"])
    assert bad_language.status_code == 422
    assert bad_language.json()["errors"][0]["field"] == "language"
    backwards = api.post(
        "/v1/digests",
        json={"language": "en", "period_start": "2026-11-23T00:00:00Z", "period_end": "2026-11-16T00:00:00Z"},
        headers=auth["manager"],
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == (
        "period_end (2026-11-16T00:00:00+00:00) must be after period_start (2026-11-23T00:00:00+00:00)"
    )
    assert api.post("/v1/digests", json={"language": "en"}, headers=auth["forwarder"]).status_code == 403
    assert api.get("/v1/digests").status_code == 401
    for method, path in [
        ("get", "/v1/digests/99"),
        ("patch", "/v1/digests/99"),
        ("post", "/v1/digests/99/approve"),
        ("post", "/v1/digests/99/publish"),
        ("get", "/v1/digests/99/export"),
    ]:
        kwargs = {"json": {"title": "x"}} if method == "patch" else {}
        response = api.request(method, path, headers=auth["manager"], **kwargs)
        assert response.status_code == 404 and response.json() == {"detail": "digest 99 does not exist"}


@pytest.mark.parametrize(
    "period",
    [
        {"period_start": "0001-01-01T00:00:00Z"},  # the period before it, for the trend, would be in year 0
        {"period_end": "0001-01-03T00:00:00Z"},
        {"period_start": "9999-12-30T00:00:00Z"},
        {"period_start": "0001-01-01T00:00:00+05:00"},  # not a moment UTC can tell
    ],
)
def test_a_period_at_the_ends_of_the_calendar_is_refused_with_a_reason(api, auth, period):
    response = api.post("/v1/digests", json={"language": "en", **period}, headers=auth["manager"])
    assert response.status_code == 422
    body = response.json()
    assert "years 1 to 9999" in body["detail"] or body["errors"][0]["message"].endswith("once told in UTC")


def test_edit_approve_publish_makes_exactly_one_topic_with_the_edited_text(api, auth, scene, forum):
    digest = draft(api, auth)
    path = f"/v1/digests/{digest['id']}"

    edited = api.patch(
        path, json={"title": "You said, we did: week 47", "markdown": EDITED}, headers=auth["manager"]
    )
    assert edited.status_code == 200, edited.text
    assert (
        edited.json()["html"]
        == "<p>We heard you about <strong>exports</strong>. Thank you all for the feedback this week!</p>\n"
    )
    refused = api.post(f"{path}/publish", headers=auth["manager"])
    assert refused.status_code == 409 and "approve it first" in refused.json()["detail"]
    assert forum.requests == []

    approved = api.post(f"{path}/approve", headers=auth["manager"])
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["approved_at"] is not None and approved.json()["approved_by"] is not None
    assert api.patch(path, json={"markdown": "too late"}, headers=auth["manager"]).status_code == 409
    assert api.post(f"{path}/approve", headers=auth["manager"]).status_code == 409

    published = api.post(f"{path}/publish", headers=auth["manager"])
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["status"] == "published" and body["published_at"] is not None and body["last_error"] is None
    (sent,) = forum.requests_to("POST", "/posts.json")
    assert sent.headers["api-username"] == "feedback-bot"
    assert sent.json() == {
        "title": "You said, we did: week 47",
        "raw": EDITED,
        "category": 5,
        "external_id": f"fr-digest-{digest['id']}",
    }
    (topic,) = forum.topics.values()
    assert topic.category_id == 5 and topic.posts[0].raw == EDITED.strip()
    assert body["published_url"] == f"{forum.url}/t/{topic.slug}/{topic.id}"

    again = api.post(f"{path}/publish", headers=auth["manager"])
    assert again.status_code == 409 and "published already" in again.json()["detail"]
    assert len(forum.requests_to("POST", "/posts.json")) == 1
    listed = api.get("/v1/digests", headers=auth["manager"]).json()
    assert [(d["id"], d["status"]) for d in listed] == [(digest["id"], "published")]


def test_discourse_refusals_leave_the_digest_approved_and_a_retry_makes_one_topic(
    api, auth, scene, forum, configure
):
    digest = draft(api, auth)
    path = f"/v1/digests/{digest['id']}"
    api.post(f"{path}/approve", headers=auth["manager"])

    configure(  # a key that the forum does not know: 403
        discourse__url=forum.url,
        discourse__api_key="wrong",
        discourse__api_username="feedback-bot",
        delivery_timeout=0.5,
    )
    refused = api.post(f"{path}/publish", headers=auth["manager"])
    assert refused.status_code == 502
    assert "The API username or key is invalid" in refused.json()["detail"]
    after = api.get(path, headers=auth["manager"]).json()
    assert after["status"] == "approved" and "HTTP 403" in after["last_error"]

    configure(
        discourse__url=forum.url, discourse__api_key=forum.api_key, discourse__api_username="feedback-bot"
    )
    taken = forum.community_post("anna", "Same title, earlier", title=digest["title"])  # 422: title used
    refused = api.post(f"{path}/publish", headers=auth["manager"])
    assert refused.status_code == 502 and "Title has already been used" in refused.json()["detail"]
    assert "Title has already been used" in api.get(path, headers=auth["manager"]).json()["last_error"]
    assert len(forum.topics) == 1

    taken.topic.title = "Renamed by a moderator"
    forum.memo_seconds = 0  # Discourse repeats its answer to an identical request for two minutes
    published = api.post(f"{path}/publish", headers=auth["manager"])
    assert published.status_code == 200 and published.json()["last_error"] is None
    ours = [t for t in forum.topics.values() if t.external_id == f"fr-digest-{digest['id']}"]
    assert len(ours) == 1 and len(forum.topics) == 2
    # Each retry first looked for a topic an earlier attempt might have made.
    assert len(forum.requests_to("GET", f"/t/external_id/fr-digest-{digest['id']}.json")) == 2


def test_an_answer_lost_on_the_way_back_does_not_make_a_second_topic(api, auth, scene, forum, configure):
    digest = draft(api, auth)
    path = f"/v1/digests/{digest['id']}"
    api.post(f"{path}/approve", headers=auth["manager"])
    configure(delivery_timeout=0.5)  # impatient: the answer is held back
    forum.script("POST", "/posts.json", Hang(seconds=30))  # Discourse posts, the answer never comes

    lost = api.post(f"{path}/publish", headers=auth["manager"])
    assert lost.status_code == 502 and api.get(path, headers=auth["manager"]).json()["status"] == "approved"
    assert len(forum.topics) == 1

    forum.memo_seconds = 0  # Discourse's two-minute memory of the request does not save us here
    published = api.post(f"{path}/publish", headers=auth["manager"])
    assert published.status_code == 200, published.text
    (topic,) = forum.topics.values()
    assert published.json()["published_url"].endswith(f"/{topic.id}")
    assert len(forum.requests_to("POST", "/posts.json")) == 1


def test_a_scripted_422_and_an_unconfigured_forum_are_reported(
    api, auth, scene, forum, configure, monkeypatch
):
    digest = draft(api, auth)
    path = f"/v1/digests/{digest['id']}"
    api.post(f"{path}/approve", headers=auth["manager"])
    forum.script(
        "POST", "/posts.json", Reply(422, {"action": "create_post", "errors": ["Body is too similar"]})
    )
    refused = api.post(f"{path}/publish", headers=auth["manager"])
    assert refused.status_code == 502 and "Body is too similar" in refused.json()["detail"]

    monkeypatch.delenv("FEEDBACK_ROUTER_DISCOURSE__API_KEY")
    configure()
    unconfigured = api.post(f"{path}/publish", headers=auth["manager"])
    assert unconfigured.status_code == 409
    assert "FEEDBACK_ROUTER_DISCOURSE__URL, __API_KEY and __API_USERNAME" in unconfigured.json()["detail"]
    assert api.get(path, headers=auth["manager"]).json()["status"] == "approved"
    assert forum.topics == {}


def test_a_publication_in_flight_is_not_started_twice(api, auth, scene, forum, settings):
    digest = draft(api, auth)
    path = f"/v1/digests/{digest['id']}"
    api.post(f"{path}/approve", headers=auth["manager"])
    with session_scope(settings.database_url) as session:
        session.execute(update(Digest).values(status=DigestStatus.publishing, updated_at=utcnow()))
    busy = api.post(f"{path}/publish", headers=auth["manager"])
    assert busy.status_code == 409 and "being published right now" in busy.json()["detail"]

    # A request that died mid-way: once its lease ran out, the next looks the topic up first.
    with session_scope(settings.database_url) as session:
        session.execute(update(Digest).values(updated_at=utcnow() - timedelta(minutes=5)))
    published = api.post(f"{path}/publish", headers=auth["manager"])
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert len(forum.requests_to("GET", "/t/external_id/*")) == 1
    assert len(forum.topics) == 1


def test_export_needs_approval_and_downloads_markdown_or_html(api, auth, scene):
    digest = draft(api, auth)
    path = f"/v1/digests/{digest['id']}"
    assert api.get(f"{path}/export", headers=auth["manager"]).status_code == 409
    api.post(f"{path}/approve", headers=auth["manager"])

    markdown = api.get(f"{path}/export", headers=auth["manager"])
    assert markdown.status_code == 200
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert (
        markdown.headers["content-disposition"]
        == f'attachment; filename="digest-{digest["id"]}-2026-11-16.md"'
    )
    assert markdown.text == f"# {digest['title']}\n\n{digest['markdown']}"

    page = api.get(f"{path}/export?format=html", headers=auth["manager"])
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert f"<h1>{digest['title']}</h1>" in page.text and "<h2>What shipped</h2>" in page.text
    assert api.get(f"{path}/export?format=pdf", headers=auth["manager"]).status_code == 422


def test_auto_publish_approves_and_publishes_at_creation(api, auth, scene, forum, configure):
    configure(
        discourse__url=forum.url,
        discourse__api_key=forum.api_key,
        discourse__api_username="feedback-bot",
        digest_auto_publish=True,
    )
    digest = draft(api, auth)
    assert digest["status"] == "published" and digest["approved_by"] is not None
    (topic,) = forum.topics.values()
    assert topic.title == digest["title"] and topic.posts[0].raw == digest["markdown"].strip()

    configure(
        discourse__url=forum.url,
        discourse__api_key="wrong",
        discourse__api_username="x",
        digest_auto_publish=True,
    )
    failed = draft(api, auth, language="de")  # created all the same; the failure is on the digest
    assert failed["status"] == "approved" and "HTTP 403" in failed["last_error"]
    assert len(forum.topics) == 1


def test_without_auto_publish_nothing_leaves_at_creation(api, auth, scene, forum):
    digest = draft(api, auth)
    assert digest["status"] == "draft" and digest["approved_at"] is None
    assert forum.requests == []


def test_list_newest_first_and_filtered(api, auth, settings):
    first = draft(api, auth)
    second = draft(api, auth, community=None, language="de")
    api.post(f"/v1/digests/{first['id']}/approve", headers=auth["manager"])
    listed = api.get("/v1/digests", headers=auth["manager"]).json()
    assert [d["id"] for d in listed] == [second["id"], first["id"]]
    assert "markdown" not in listed[0] and listed[0]["community"] is None
    approved = api.get("/v1/digests?status=approved", headers=auth["manager"]).json()
    assert [d["id"] for d in approved] == [first["id"]]
    assert api.get("/v1/digests?status=lost", headers=auth["manager"]).status_code == 422
