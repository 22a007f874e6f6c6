"""DiscoursePublisher, unchanged, against the local fake Discourse: digests as topics, thanks as replies."""

from __future__ import annotations

import socket
import traceback
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from integrations.base import CommunityPublisher, PostRef
from integrations.discourse import DiscourseConfig, DiscoursePublisher
from integrations.errors import (
    IntegrationError,
    PermanentIntegrationError,
    RetryableIntegrationError,
    UnclearOutcomeError,
)
from tests.fakes.discourse import FakeDiscourse, rate_limit_reply
from tests.fakes.server import Drop, Hang, Reply

TIMEOUT = 5.0
FAULT_TIMEOUT = 0.5
DIGEST_TITLE = "You said, we did: March 2024"
DIGEST = "Thanks to everyone who wrote in this month.\n\n- The CSV export works again (12 reports)"


def config_for(fake: FakeDiscourse, **overrides: object) -> DiscourseConfig:
    values: dict[str, object] = {
        "url": fake.url,
        "api_key": fake.api_key,
        "api_username": "feedback-bot",
        "timeout": TIMEOUT,
    }
    return DiscourseConfig.model_validate({**values, **overrides})


@pytest.fixture
def forum(fake_discourse: FakeDiscourse) -> Iterator[DiscoursePublisher]:
    with DiscoursePublisher(config_for(fake_discourse)) as publisher:
        yield publisher


def test_an_approved_digest_is_published_as_a_topic_with_the_api_key(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    assert isinstance(forum, CommunityPublisher)

    ref = forum.create_topic(DIGEST_TITLE, DIGEST, category=5)

    [topic] = fake_discourse.topics.values()
    assert ref == PostRef(
        id=topic.posts[0].id,
        topic_id=topic.id,
        post_number=1,
        url=f"{fake_discourse.url}/t/you-said-we-did-march-2024/{topic.id}",
    )
    assert (topic.title, topic.category_id, topic.posts[0].raw) == (DIGEST_TITLE, 5, DIGEST)
    assert topic.posts[0].username == "feedback-bot"
    [request] = fake_discourse.requests_to("POST", "/posts.json")
    assert request.headers["api-key"] == fake_discourse.api_key
    assert request.headers["api-username"] == "feedback-bot"
    assert request.json() == {"title": DIGEST_TITLE, "raw": DIGEST, "category": 5}


def test_a_topic_without_category_goes_to_the_default_one(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    ref = forum.create_topic(DIGEST_TITLE, DIGEST)

    assert "category" not in fake_discourse.requests_to("POST", "/posts.json")[0].json()
    assert fake_discourse.topic(ref.topic_id).category_id == 1


def test_the_author_is_thanked_with_a_reply_to_their_post(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    original = fake_discourse.community_post(
        "anna", "The CSV export is empty since Monday.", title="Export empty"
    )

    ref = forum.reply(
        original.topic.id,
        "Thanks @anna, the export works again since 2.3.1!",
        reply_to_post_number=original.post_number,
    )

    slug, topic_id = original.topic.slug, original.topic.id
    assert ref.topic_id == topic_id and ref.post_number == 2
    assert ref.url == f"{fake_discourse.url}/t/{slug}/{topic_id}/2"
    reply = original.topic.posts[1]
    assert (reply.id, reply.username, reply.reply_to_post_number) == (ref.id, "feedback-bot", 1)
    assert fake_discourse.requests_to("POST", "/posts.json")[0].json() == {
        "topic_id": topic_id,
        "raw": "Thanks @anna, the export works again since 2.3.1!",
        "reply_to_post_number": 1,
    }


def test_personal_data_is_redacted_before_it_is_posted_in_public(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    ref = forum.create_topic(
        "Digest for anna@example.org readers", "Call +49 176 1234567 or write anna@example.org for help."
    )

    topic = fake_discourse.topic(ref.topic_id)
    assert topic.title == "Digest for [email] readers"
    assert topic.posts[0].raw == "Call [phone] or write [email] for help."


def test_redaction_can_be_switched_off(fake_discourse: FakeDiscourse) -> None:
    with DiscoursePublisher(config_for(fake_discourse, redact=False)) as publisher:
        ref = publisher.create_topic(DIGEST_TITLE, "Write to support@example.org for anything else.")
    assert (
        fake_discourse.topic(ref.topic_id).posts[0].raw == "Write to support@example.org for anything else."
    )


@pytest.mark.parametrize(
    ("title", "raw", "message"),
    [
        ("Too short", DIGEST, r"HTTP 422: Title is too short \(minimum is 15 characters\)"),
        (DIGEST_TITLE, "Short body", r"HTTP 422: Body is too short \(minimum is 20 characters\)"),
    ],
)
def test_validation_errors_are_permanent_with_discourses_messages(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher, title: str, raw: str, message: str
) -> None:
    with pytest.raises(PermanentIntegrationError, match=message) as raised:
        forum.create_topic(title, raw)
    assert raised.value.status_code == 422
    assert fake_discourse.topics == {}


def test_a_title_used_before_is_permanent(fake_discourse: FakeDiscourse, forum: DiscoursePublisher) -> None:
    forum.create_topic(DIGEST_TITLE, DIGEST)
    fake_discourse.memo_seconds = 0  # a later attempt, not the same request repeated at once

    with pytest.raises(PermanentIntegrationError, match="Title has already been used"):
        forum.create_topic(DIGEST_TITLE, DIGEST + " (second try)")


def test_a_reply_to_a_deleted_topic_is_permanent(forum: DiscoursePublisher) -> None:
    with pytest.raises(PermanentIntegrationError, match="closed or deleted") as raised:
        forum.reply(999, "Thanks, this is fixed in the latest release!")
    assert raised.value.status_code == 422


def test_a_wrong_key_is_permanent_and_never_shown(fake_discourse: FakeDiscourse) -> None:
    secret = "wrong-key-do-not-print"
    with (
        DiscoursePublisher(config_for(fake_discourse, api_key=secret)) as publisher,
        pytest.raises(PermanentIntegrationError, match="API username or key is invalid") as raised,
    ):
        publisher.create_topic(DIGEST_TITLE, DIGEST)

    assert raised.value.status_code == 403
    assert "[invalid_access]" in str(raised.value)
    assert secret not in "".join(traceback.format_exception(raised.value))


def test_an_unknown_username_is_permanent(fake_discourse: FakeDiscourse) -> None:
    with (
        DiscoursePublisher(config_for(fake_discourse, api_username="nobody")) as publisher,
        pytest.raises(PermanentIntegrationError, match="HTTP 403"),
    ):
        publisher.reply(1, "Thanks, this is fixed in the latest release!")


def test_the_rate_limit_is_retryable_after_discourses_wait(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    fake_discourse.requests_per_minute = 1
    forum.create_topic(DIGEST_TITLE, DIGEST)

    with pytest.raises(RetryableIntegrationError, match="performed this action too many times") as raised:
        forum.create_topic("Another digest for April 2024", DIGEST)

    assert type(raised.value) is RetryableIntegrationError
    assert raised.value.status_code == 429
    assert raised.value.retry_after is not None and 55 <= raised.value.retry_after <= 60
    assert len(fake_discourse.topics) == 1


def test_a_429_without_retry_after_uses_wait_seconds(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    body = rate_limit_reply(17).body  # Discourse's JSON, but a proxy dropped the header
    fake_discourse.script("POST", "/posts.json", Reply(429, body))

    with pytest.raises(RetryableIntegrationError) as raised:
        forum.reply(1, "Thanks, this is fixed in the latest release!")

    assert raised.value.retry_after == 17
    assert "retry after 17 s" in str(raised.value)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(500, {"errors": ["Internal Server Error"]}), RetryableIntegrationError),
        (Reply(503, {"errors": ["read only"], "error_type": "read_only"}), RetryableIntegrationError),
        (Reply(502, "<html>Bad Gateway</html>"), UnclearOutcomeError),
        (Reply(504, "Gateway Time-out"), UnclearOutcomeError),
        (Reply(404, {"errors": ["The requested URL could not be found."]}), PermanentIntegrationError),
    ],
)
def test_server_errors_map_by_what_the_caller_should_do(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher, reply: Reply, error: type[IntegrationError]
) -> None:
    fake_discourse.script("POST", "/posts.json", reply)

    with pytest.raises(error) as raised:
        forum.create_topic(DIGEST_TITLE, DIGEST)

    assert type(raised.value) is error
    assert raised.value.status_code == reply.status


def test_a_hang_is_an_unclear_outcome_and_a_prompt_retry_returns_the_same_post(
    fake_discourse: FakeDiscourse,
) -> None:
    fake_discourse.script("POST", "/posts.json", Hang(seconds=30))
    with DiscoursePublisher(config_for(fake_discourse, timeout=FAULT_TIMEOUT)) as impatient:
        # raised at all: the client gave up before the hang's end (the fake would answer after 30 s)
        with pytest.raises(UnclearOutcomeError, match="within two minutes"):
            impatient.create_topic(DIGEST_TITLE, DIGEST, external_id="fr-digest-7")

        again = impatient.create_topic(DIGEST_TITLE, DIGEST, external_id="fr-digest-7")

    [topic] = fake_discourse.topics.values()  # Discourse memoises identical API requests
    assert again.topic_id == topic.id and len(topic.posts) == 1


def test_after_an_unclear_outcome_the_topic_is_found_by_its_external_id(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    fake_discourse.script("POST", "/posts.json", Drop())
    with pytest.raises(UnclearOutcomeError):
        forum.create_topic(DIGEST_TITLE, DIGEST, category=5, external_id="fr-digest-8")

    found = forum.find_topic("fr-digest-8")

    [topic] = fake_discourse.topics.values()
    assert found == PostRef(
        id=topic.posts[0].id,
        topic_id=topic.id,
        post_number=1,
        url=f"{fake_discourse.url}/t/{topic.slug}/{topic.id}",
    )
    assert forum.find_topic("fr-digest-9") is None
    lookups = [r.path for r in fake_discourse.requests if r.method == "GET"]
    assert lookups == [
        "/t/external_id/fr-digest-8.json",
        f"/t/{topic.slug}/{topic.id}.json",
        "/t/external_id/fr-digest-9.json",
    ]


def test_a_redirect_to_another_site_is_not_followed(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    fake_discourse.script(
        "GET", "/t/external_id/*", Reply(301, "", {"Location": "https://elsewhere.example.org/t/x/1.json"})
    )
    with pytest.raises(PermanentIntegrationError, match="redirected to another site"):
        forum.find_topic("fr-digest-1")
    assert len(fake_discourse.requests) == 1


def test_a_lost_answer_while_looking_up_is_plainly_retryable(fake_discourse: FakeDiscourse) -> None:
    fake_discourse.script("GET", "/t/external_id/*", Hang(seconds=30))
    with (
        DiscoursePublisher(config_for(fake_discourse, timeout=FAULT_TIMEOUT)) as impatient,
        pytest.raises(RetryableIntegrationError) as raised,
    ):
        impatient.find_topic("fr-digest-1")
    assert not isinstance(raised.value, UnclearOutcomeError)


def test_an_external_id_is_checked_before_sending(forum: DiscoursePublisher) -> None:
    with pytest.raises(ValueError, match="external_id"):
        forum.create_topic(DIGEST_TITLE, DIGEST, external_id="has spaces")
    with pytest.raises(ValueError, match="external_id"):
        forum.find_topic("x" * 51)


def test_a_post_queued_for_review_is_permanent(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    queued = {
        "action": "enqueued",
        "pending_post": {"id": 5, "raw": DIGEST},
        "pending_count": 1,
        "success": True,
    }
    fake_discourse.script("POST", "/posts.json", Reply(200, queued))

    with pytest.raises(PermanentIntegrationError, match="queued the post for review"):
        forum.create_topic(DIGEST_TITLE, DIGEST)


def test_an_unreadable_success_is_an_unclear_outcome(
    fake_discourse: FakeDiscourse, forum: DiscoursePublisher
) -> None:
    fake_discourse.script("POST", "/posts.json", Reply(200, "<html>maintenance page</html>"))
    with pytest.raises(UnclearOutcomeError, match="not a post"):
        forum.reply(1, "Thanks, this is fixed in the latest release!")


def test_a_refused_connection_is_retryable_not_unclear() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = DiscourseConfig(
        url=f"http://127.0.0.1:{port}", api_key="k", api_username="bot", timeout=FAULT_TIMEOUT
    )
    with DiscoursePublisher(config) as publisher, pytest.raises(RetryableIntegrationError) as raised:
        publisher.create_topic(DIGEST_TITLE, DIGEST)
    assert not isinstance(raised.value, UnclearOutcomeError)


def test_a_subfolder_install_keeps_its_path(fake_discourse: FakeDiscourse) -> None:
    config = config_for(fake_discourse, url=fake_discourse.url + "/forum")
    with DiscoursePublisher(config) as publisher, pytest.raises(PermanentIntegrationError, match="HTTP 404"):
        publisher.create_topic(DIGEST_TITLE, DIGEST)
    assert [r.path for r in fake_discourse.requests] == ["/forum/posts.json"]


@pytest.mark.parametrize(
    "values",
    [
        {"url": "not a url", "api_key": "topSecretPart", "api_username": "bot"},
        {"url": "https://forum.example.org", "api_key": "topSecretPart", "api_username": " "},
        {"url": "https://forum.example.org", "api_key": "topSecretPart", "api_username": "bot", "timeout": 0},
        {"url": "https://forum.example.org", "api_key": "topSecretPart"},
    ],
)
def test_config_is_validated_and_hides_the_key(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as raised:
        DiscourseConfig.model_validate(values)
    assert "topSecretPart" not in str(raised.value)


def test_config_keeps_the_key_secret() -> None:
    config = DiscourseConfig(url="https://forum.example.org/", api_key="topSecretPart", api_username="bot")
    assert "topSecretPart" not in repr(config)
    assert config.base_url == "https://forum.example.org"
