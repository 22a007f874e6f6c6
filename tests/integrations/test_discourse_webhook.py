"""Discourse webhook deliveries, built by the fake Discourse: signature check and post events as feedback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from integrations.discourse import (
    EVENT_HEADER,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    DiscourseConfig,
    DiscoursePublisher,
    ForumPost,
    html_to_text,
    parse_post_event,
    verify_discourse_signature,
)
from integrations.errors import WebhookPayloadError
from tests.fakes.discourse import FakeDiscourse

REPORT = "The CSV export is empty since Monday.\n\nI tried Firefox and Chrome."


def test_a_new_forum_post_comes_in_as_feedback_with_its_author_and_link(
    fake_discourse: FakeDiscourse,
) -> None:
    post = fake_discourse.community_post("anna", REPORT, title="CSV export is empty")
    body, headers = fake_discourse.webhook_delivery(post)

    assert verify_discourse_signature(fake_discourse.webhook_secret, body, headers[SIGNATURE_HEADER])
    assert (headers[EVENT_HEADER], headers["X-Discourse-Event-Type"]) == ("post_created", "post")
    item = parse_post_event(body, base_url=fake_discourse.url)

    topic = post.topic
    assert item == ForumPost(
        post_id=post.id,
        topic_id=topic.id,
        post_number=1,
        author_username="anna",
        author_name="Anna Example",
        text=REPORT,
        url=f"{fake_discourse.url}/t/csv-export-is-empty/{topic.id}/1",
        created_at=item.created_at,
        topic_title="CSV export is empty",
        category_id=5,
    )
    assert item.created_at.tzinfo is not None
    assert abs((datetime.now(UTC) - item.created_at).total_seconds()) < 60
    assert item.is_community_feedback


def test_a_reply_links_to_its_own_post_number(fake_discourse: FakeDiscourse) -> None:
    first = fake_discourse.community_post("anna", REPORT, title="CSV export is empty")
    reply = fake_discourse.community_post(
        "jo", "Same here, the file has only the header row.", topic_id=first.topic.id
    )

    item = parse_post_event(fake_discourse.webhook_delivery(reply)[0], base_url=fake_discourse.url + "/")

    assert (item.post_number, item.author_username, item.author_name) == (2, "jo", None)
    assert item.url == f"{fake_discourse.url}/t/csv-export-is-empty/{first.topic.id}/2"


def test_without_raw_the_text_comes_from_cooked_html(fake_discourse: FakeDiscourse) -> None:
    post = fake_discourse.community_post("anna", "Export <broken> & empty.\n\nSince Monday,\nreally.")
    body, _ = fake_discourse.webhook_delivery(post, include_raw=False)
    assert "raw" not in json.loads(body)["post"]

    item = parse_post_event(body, base_url=fake_discourse.url)

    assert item.text == "Export <broken> & empty.\n\nSince Monday,\nreally."


def test_cooked_html_becomes_plain_text() -> None:
    cooked = (
        '<p>Love it <img src="/images/emoji/twitter/heart.png?v=12" title=":heart:" class="emoji"'
        ' alt=":heart:"> but:</p>\n<ul>\n<li>export is <strong>empty</strong></li>\n'
        "<li>&lt;script&gt; shows as &amp;lt;</li>\n</ul>"
        '<pre><code>line   one</code></pre><script>alert("x")</script>'
        '<p><a href="https://example.org/x">a link</a><br>next&nbsp;line</p>'
    )
    assert html_to_text(cooked) == (
        "Love it :heart: but:\n\n- export is empty\n- <script> shows as &lt;\n\nline one\n\na link\nnext line"
    )


def test_whispers_small_actions_and_personal_messages_are_marked(fake_discourse: FakeDiscourse) -> None:
    post = fake_discourse.community_post("anna", "Closed this topic, moving on.", post_type=3)
    document = json.loads(fake_discourse.webhook_delivery(post)[0])
    action = parse_post_event(document, base_url=fake_discourse.url)
    document["post"].update(post_type=1, topic_archetype="private_message")
    private = parse_post_event(document, base_url=fake_discourse.url)

    assert (action.kind, action.private, action.is_community_feedback) == ("small_action", False, False)
    assert (private.kind, private.private, private.is_community_feedback) == ("regular", True, False)


def test_the_signature_is_checked_on_the_raw_bytes(fake_discourse: FakeDiscourse) -> None:
    post = fake_discourse.community_post("anna", REPORT)
    body, headers = fake_discourse.webhook_delivery(post)
    signature = headers[SIGNATURE_HEADER]
    reserialised = json.dumps(json.loads(body), indent=2).encode()

    assert verify_discourse_signature(SecretStr(fake_discourse.webhook_secret), body, signature)
    assert verify_discourse_signature(
        fake_discourse.webhook_secret.encode(), body, signature.upper().replace("SHA256=", "sha256=")
    )
    assert not verify_discourse_signature(fake_discourse.webhook_secret, reserialised, signature)
    assert not verify_discourse_signature("another-secret", body, signature)
    assert not verify_discourse_signature(fake_discourse.webhook_secret, body, None)
    assert not verify_discourse_signature(
        fake_discourse.webhook_secret, body, signature.removeprefix("sha256=")
    )
    assert not verify_discourse_signature("", body, headers[SIGNATURE_HEADER])


def test_an_unset_secret_never_verifies(fake_discourse: FakeDiscourse) -> None:
    post = fake_discourse.community_post("anna", REPORT)
    body, headers = fake_discourse.webhook_delivery(post, secret="")  # a forged delivery signed with ""

    assert not verify_discourse_signature(None, body, headers[SIGNATURE_HEADER])
    assert not verify_discourse_signature("", body, headers[SIGNATURE_HEADER])


def test_a_redelivery_keeps_its_event_id(fake_discourse: FakeDiscourse) -> None:
    post = fake_discourse.community_post("anna", REPORT)
    _, first = fake_discourse.webhook_delivery(post)
    _, again = fake_discourse.webhook_delivery(post, event_id=int(first[EVENT_ID_HEADER]))
    _, other = fake_discourse.webhook_delivery(post)

    assert again[EVENT_ID_HEADER] == first[EVENT_ID_HEADER] != other[EVENT_ID_HEADER]


MINIMAL = {"id": 1, "topic_id": 2, "post_number": 1, "username": "a", "created_at": "2024-03-15T10:00:00Z"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"ping": "OK"}', "no 'post' object .*ping"),
        (json.dumps({"post": {**MINIMAL, "username": None, "raw": "x"}}).encode(), "post.username"),
        (json.dumps({"post": {**MINIMAL, "id": "one", "raw": "x"}}).encode(), "post.id"),
        (json.dumps({"post": {**MINIMAL, "created_at": "Monday", "raw": "x"}}).encode(), "post.created_at"),
        (json.dumps({"post": MINIMAL}).encode(), "neither 'raw' nor 'cooked'"),
    ],
)
def test_a_malformed_delivery_is_a_payload_error(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse_post_event(body, base_url="https://forum.example.org")


def test_from_post_to_thanks_through_the_same_forum(fake_discourse: FakeDiscourse) -> None:
    """The loop the issue asks for: a forum post comes in, and its author is thanked in the same topic."""
    post = fake_discourse.community_post("anna", REPORT, title="CSV export is empty")
    body, headers = fake_discourse.webhook_delivery(post)
    config = DiscourseConfig(
        url=fake_discourse.url,
        api_key=fake_discourse.api_key,
        api_username="feedback-bot",
        webhook_secret=fake_discourse.webhook_secret,
    )
    assert verify_discourse_signature(config.webhook_secret, body, headers[SIGNATURE_HEADER])
    item = parse_post_event(body, base_url=config.base_url)

    with DiscoursePublisher(config) as forum:
        thanks = forum.reply(
            item.topic_id,
            f"Thanks @{item.author_username}, the export is fixed in 2.3.1!",
            reply_to_post_number=item.post_number,
        )

    reply = post.topic.posts[-1]
    assert (reply.id, reply.reply_to_post_number, reply.username) == (thanks.id, 1, "feedback-bot")
    assert reply.raw.startswith("Thanks @anna")
