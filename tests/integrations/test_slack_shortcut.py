"""Slack interactivity requests, built by the fake Slack: signature check and message shortcuts read."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from pydantic import SecretStr

from integrations.errors import WebhookPayloadError, WebhookSignatureError
from integrations.slack import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    MessageShortcut,
    OtherInteraction,
    parse_interaction,
    permalink,
    plain_text,
    sign_slack_request,
    verify_slack_request,
)
from tests.fakes.slack import FakeSlack


@pytest.fixture
def slack() -> FakeSlack:
    """The fake builds requests without serving: no server needed to sign and shape them."""
    fake = FakeSlack()
    fake.url = "http://127.0.0.1:9"
    return fake


def check(slack: FakeSlack, body: bytes, headers: dict[str, str], now: float | None = None) -> None:
    secret = SecretStr(slack.signing_secret)
    verify_slack_request(secret, body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=now)


def payload_of(body: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(parse_qs(body.decode())["payload"][0])
    return document


def test_a_request_signed_by_slack_just_now_verifies(slack: FakeSlack) -> None:
    body, headers = slack.message_shortcut("The export crashes")

    check(slack, body, headers)
    assert headers[SIGNATURE_HEADER] == sign_slack_request(
        slack.signing_secret, headers[TIMESTAMP_HEADER], body
    )


def test_a_wrong_secret_or_a_changed_body_is_refused(slack: FakeSlack) -> None:
    body, headers = slack.message_shortcut("The export crashes", secret="not-the-secret")
    with pytest.raises(WebhookSignatureError, match="X-Slack-Signature signature is wrong"):
        check(slack, body, headers)

    body, headers = slack.message_shortcut("The export crashes")
    with pytest.raises(WebhookSignatureError, match="signature is wrong"):
        check(slack, body.replace(b"crashes", b"works"), headers)


@pytest.mark.parametrize(("offset", "word"), [(301, "old"), (-301, "in the future")])
def test_a_timestamp_more_than_five_minutes_off_is_refused_even_when_signed(
    slack: FakeSlack, offset: int, word: str
) -> None:
    now = 1_700_000_000
    body, headers = slack.message_shortcut("The export crashes", timestamp=now - offset)

    with pytest.raises(WebhookSignatureError, match=f"is 301 s {word}, more than 5 minutes"):
        check(slack, body, headers, now=now)
    check(slack, body, headers, now=now - offset + (299 if offset > 0 else -299))  # within the window


def test_missing_headers_a_bad_timestamp_or_no_secret_never_verify(slack: FakeSlack) -> None:
    body, headers = slack.message_shortcut("The export crashes")
    timestamp, signature = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]

    with pytest.raises(WebhookSignatureError, match="X-Slack-Request-Timestamp header is missing"):
        verify_slack_request(slack.signing_secret, body, None, signature)
    with pytest.raises(WebhookSignatureError, match="X-Slack-Signature header is missing"):
        verify_slack_request(slack.signing_secret, body, timestamp, None)
    with pytest.raises(WebhookSignatureError, match="not Unix seconds"):
        verify_slack_request(slack.signing_secret, body, "yesterday", signature)
    for secret in (None, "", SecretStr("")):
        with pytest.raises(WebhookSignatureError, match="no signing secret"):
            verify_slack_request(secret, body, timestamp, signature)


def test_a_message_shortcut_is_read_with_author_forwarder_channel_and_link(slack: FakeSlack) -> None:
    body, _ = slack.message_shortcut(
        "Export to PDF <https://example.org/x|crashes> for <@U0JO|jo> &amp; me", ts="1700000100.000200"
    )

    shortcut = parse_interaction(body)

    assert shortcut == MessageShortcut(
        callback_id="forward_to_feedback_router",
        team_id="T0FAKE",
        team_domain="acme",
        channel_id="C0FEEDBACK",
        channel_name="feedback",
        message_ts="1700000100.000200",
        thread_ts=None,
        text="Export to PDF crashes for @jo & me",
        author_id="U0MIA",
        author_name="Mia",
        forwarded_by_id="U0LEA",
        forwarded_by_name="lea",
        permalink="https://acme.slack.com/archives/C0FEEDBACK/p1700000100000200",
        response_url=f"{slack.url}/actions/T0FAKE/1/response",
    )
    assert shortcut.external_id == "C0FEEDBACK:1700000100.000200"


def test_a_reply_in_a_thread_keeps_its_thread_and_links_into_it(slack: FakeSlack) -> None:
    body, _ = slack.message_shortcut("Me too", ts="1700000200.000300", thread_ts="1700000100.000200")

    shortcut = parse_interaction(body)

    assert isinstance(shortcut, MessageShortcut)
    assert shortcut.thread_ts == "1700000100.000200"
    assert shortcut.permalink == (
        "https://acme.slack.com/archives/C0FEEDBACK/p1700000200000300"
        "?thread_ts=1700000100.000200&cid=C0FEEDBACK"
    )
    # A thread's first message carries its own ts as thread_ts: it is not a reply.
    body, _ = slack.message_shortcut("Root", ts="1700000100.000200", thread_ts="1700000100.000200")
    root = parse_interaction(body)
    assert isinstance(root, MessageShortcut) and root.thread_ts is None
    assert root.permalink == "https://acme.slack.com/archives/C0FEEDBACK/p1700000100000200"


def test_a_bots_message_and_one_without_text_or_profile(slack: FakeSlack) -> None:
    body, _ = slack.message_shortcut("", display_name=None)
    document = payload_of(body)
    document["message"] = {
        "type": "message",
        "subtype": "bot_message",
        "ts": "1.2",
        "bot_id": "B0X",
        "username": "Status bot",
    }
    shortcut = parse_interaction(document)

    assert isinstance(shortcut, MessageShortcut)
    assert (shortcut.text, shortcut.author_id, shortcut.author_name) == ("", "B0X", "Status bot")


def test_other_interactions_are_named_by_their_type(slack: FakeSlack) -> None:
    body, _ = slack.message_shortcut("", payload={"type": "shortcut", "callback_id": "new_report"})
    assert parse_interaction(body) == OtherInteraction(type="shortcut", callback_id="new_report")
    body, _ = slack.message_shortcut("", payload={"type": "block_actions", "actions": []})
    assert parse_interaction(body) == OtherInteraction(type="block_actions")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"text=hello", "no 'payload' field"),
        (urlencode({"payload": "{not json"}).encode(), "payload is not JSON"),
        (urlencode({"payload": "[1, 2]"}).encode(), "not a JSON object"),
        (urlencode({"payload": '{"callback_id": "x"}'}).encode(), "has no 'type'"),
        (
            urlencode({"payload": json.dumps({"type": "message_action", "callback_id": "x"})}).encode(),
            "incomplete: team: Field required; channel: Field required",
        ),
    ],
)
def test_malformed_payloads_say_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(WebhookPayloadError, match=message):
        parse_interaction(body)


def test_a_message_shortcut_without_its_message_ts_is_malformed(slack: FakeSlack) -> None:
    body, _ = slack.message_shortcut("Hi")
    document = payload_of(body)
    del document["message"]["ts"]

    with pytest.raises(WebhookPayloadError, match="message.ts: Field required"):
        parse_interaction(document)


def test_plain_text_and_permalink_helpers() -> None:
    text = "<!here> see <#C1|general> and <https://x.org> &lt;3"
    assert plain_text(text) == "@here see #general and https://x.org <3"
    assert plain_text("<!subteam^S1|@support> <@U1>") == "@support @U1"
    assert permalink("acme", "C1", "1.000002") == "https://acme.slack.com/archives/C1/p1000002"
