"""The fake Discourse answers like Discourse: statuses, bodies, auth and limits (checked with raw HTTP)."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from tests.fakes.discourse import FakeDiscourse, rate_limit_reply

TITLE = "Feedback digest for March 2024"
RAW = "What we did with your feedback this month."


def client_for(
    fake: FakeDiscourse, *, key: str | None = None, username: str = "feedback-bot"
) -> httpx.Client:
    headers = {"Api-Key": key or fake.api_key, "Api-Username": username}
    return httpx.Client(base_url=fake.url, headers=headers, timeout=5)


@pytest.mark.parametrize(("key", "username"), [("wrong", "feedback-bot"), (None, "nobody")])
def test_a_wrong_key_or_username_gets_403_invalid_access(
    fake_discourse: FakeDiscourse, key: str | None, username: str
) -> None:
    with client_for(fake_discourse, key=key, username=username) as client:
        answer = client.post("/posts.json", json={"title": TITLE, "raw": RAW})
    assert answer.status_code == 403
    assert answer.json() == {
        "errors": [
            "You are not permitted to view the requested resource. The API username or key is invalid."
        ],
        "error_type": "invalid_access",
    }
    assert httpx.post(fake_discourse.url + "/posts.json", json={"raw": RAW}).status_code == 403
    assert fake_discourse.topics == {}


def test_create_topic_and_reply_answer_the_post(fake_discourse: FakeDiscourse) -> None:
    with client_for(fake_discourse) as client:
        topic = client.post("/posts.json", json={"title": TITLE, "raw": RAW, "category": 5})
        reply = client.post(
            "/posts.json", data={"topic_id": str(topic.json()["topic_id"]), "raw": RAW + " Thanks!"}
        )
        shown = client.get(f"/t/{topic.json()['topic_id']}.json")
    first = topic.json()
    assert topic.status_code == 200
    assert {k: first[k] for k in ("post_number", "topic_slug", "username", "name")} == {
        "post_number": 1,
        "topic_slug": "feedback-digest-for-march-2024",
        "username": "feedback-bot",
        "name": "Feedback Router",
    }
    assert first["cooked"] == f"<p>{RAW}</p>"
    assert (reply.json()["topic_id"], reply.json()["post_number"]) == (first["topic_id"], 2)
    assert shown.json()["title"] == TITLE and shown.json()["category_id"] == 5
    assert [p["id"] for p in shown.json()["post_stream"]["posts"]] == [first["id"], reply.json()["id"]]


def test_validation_errors_use_discourses_wording(fake_discourse: FakeDiscourse) -> None:
    with client_for(fake_discourse) as client:
        short = client.post("/posts.json", json={"title": "Short", "raw": "short", "category": 99})
        missing = client.post("/posts.json", json={"title": TITLE})
        client.post("/posts.json", json={"title": TITLE, "raw": RAW, "external_id": "d-1"})
        again = client.post(
            "/posts.json", json={"title": TITLE.upper(), "raw": RAW + "!", "external_id": "d-1"}
        )
        bad_id = client.post("/posts.json", json={"title": TITLE + " II", "raw": RAW, "external_id": "a b"})
        gone = client.post("/posts.json", json={"topic_id": 999, "raw": RAW})
    assert short.status_code == 422
    assert short.json() == {
        "action": "create_post",
        "errors": [
            "Title is too short (minimum is 15 characters)",
            "Body is too short (minimum is 20 characters)",
            "Category can't be blank",
        ],
    }
    assert missing.status_code == 400 and "raw" in missing.json()["errors"][0]
    assert again.json()["errors"] == ["Title has already been used", "External has already been taken"]
    assert bad_id.json()["errors"] == ["External is invalid"]
    assert gone.status_code == 422 and "closed or deleted" in gone.json()["errors"][0]


def test_an_identical_api_request_is_answered_from_memory(fake_discourse: FakeDiscourse) -> None:
    with client_for(fake_discourse) as client:
        first = client.post("/posts.json", json={"title": TITLE, "raw": RAW})
        same = client.post("/posts.json", json={"title": TITLE, "raw": RAW})
        fake_discourse.memo_seconds = 0
        later = client.post("/posts.json", json={"title": TITLE, "raw": RAW})
    assert same.json() == first.json()
    assert len(fake_discourse.topics) == 1
    assert later.json()["errors"] == ["Title has already been used"]


def test_the_admin_api_limit_answers_429_with_the_wait(fake_discourse: FakeDiscourse) -> None:
    fake_discourse.requests_per_minute = 2
    with client_for(fake_discourse) as client:
        answers = [client.get("/t/1.json") for _ in range(3)]
    limited = answers[-1]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert limited.headers["retry-after"] == str(limited.json()["extras"]["wait_seconds"])
    assert limited.headers["discourse-rate-limit-error-code"] == "admin_api_key_rate_limit"
    assert limited.json()["error_type"] == "rate_limit"
    assert rate_limit_reply(9).body["extras"] == {"wait_seconds": 9, "time_left": "9 seconds"}


def test_external_id_redirects_to_the_topic(fake_discourse: FakeDiscourse) -> None:
    with client_for(fake_discourse) as client:
        created = client.post("/posts.json", json={"title": TITLE, "raw": RAW, "external_id": "fr-1"}).json()
        found = client.get("/t/external_id/fr-1.json")
        followed = client.get("/t/external_id/fr-1.json", follow_redirects=True)
        unknown = client.get("/t/external_id/fr-2.json")
    assert found.status_code == 301
    assert found.headers["location"] == f"/t/{created['topic_slug']}/{created['topic_id']}.json"
    assert followed.json()["external_id"] == "fr-1"
    assert unknown.status_code == 404 and unknown.json()["error_type"] == "not_found"


def test_topics_are_public_to_read_without_a_key(fake_discourse: FakeDiscourse) -> None:
    post = fake_discourse.community_post("anna", RAW, title=TITLE)
    assert httpx.get(f"{fake_discourse.url}/t/{post.topic.id}.json").json()["title"] == TITLE


def test_webhook_delivery_is_shaped_and_signed_like_discourses(fake_discourse: FakeDiscourse) -> None:
    post = fake_discourse.community_post("anna", RAW, title=TITLE)

    body, headers = fake_discourse.webhook_delivery(post)

    expected = hmac.new(fake_discourse.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Discourse-Event-Signature"] == f"sha256={expected}"
    assert (headers["X-Discourse-Event-Type"], headers["X-Discourse-Event"]) == ("post", "post_created")
    assert headers["X-Discourse-Instance"] == fake_discourse.url
    payload = json.loads(body)["post"]
    assert {
        k: payload[k] for k in ("username", "name", "raw", "topic_title", "topic_archetype", "post_type")
    } == {
        "username": "anna",
        "name": "Anna Example",
        "raw": RAW,
        "topic_title": TITLE,
        "topic_archetype": "regular",
        "post_type": 1,
    }
    assert payload["created_at"].endswith("Z")
    assert fake_discourse.requests == []  # built, not sent: the test posts it where it wants
