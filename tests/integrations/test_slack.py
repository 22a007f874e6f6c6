"""SlackNotifier, unchanged, against the local fake Slack: incoming webhook and chat.postMessage."""

from __future__ import annotations

import traceback
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from integrations.base import LabelValue, Notification, Notifier
from integrations.errors import PermanentIntegrationError, RetryableIntegrationError, UnclearOutcomeError
from integrations.slack import SlackConfig, SlackNotifier
from tests.fakes.server import Hang, Reply
from tests.fakes.slack import FakeSlack

NOTIFICATION = Notification(
    title="Bug report from the forum",
    text="The CSV export is empty since Monday.\nWrite me: anna@example.org",
    author="anna <admin>",
    source="forum",
    link="https://community.example.org/t/export-empty/42",
    item_url="https://feedback.example.org/items/42",
    labels={
        "kind": LabelValue(value="bug", confidence=0.93),
        "topic": LabelValue(value="Export", confidence=0.71),
        "language": LabelValue(value="en"),
    },
    reason="rule: kind = bug and topic = Export → #bugs",
)


@pytest.fixture
def webhook(fake_slack: FakeSlack) -> Iterator[SlackNotifier]:
    with SlackNotifier(SlackConfig(webhook_url=fake_slack.webhook_url, timeout=5)) as notifier:
        yield notifier


@pytest.fixture
def bot(fake_slack: FakeSlack) -> Iterator[SlackNotifier]:
    config = SlackConfig(bot_token=fake_slack.token, api_url=fake_slack.api_url, default_channel="#feedback")
    with SlackNotifier(config) as notifier:
        yield notifier


def test_webhook_posts_a_block_kit_message(fake_slack: FakeSlack, webhook: SlackNotifier) -> None:
    assert isinstance(webhook, Notifier)

    assert webhook.send(NOTIFICATION) is None

    [message] = fake_slack.messages
    assert message["via"] == "webhook"
    header, quote, context, labels, reason, actions = message["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Bug report from the forum", "emoji": True},
    }
    assert quote["elements"][0]["type"] == "rich_text_quote"
    assert quote["elements"][0]["elements"][0]["text"] == (
        "The CSV export is empty since Monday.\nWrite me: [email]"
    )
    assert context["elements"][0]["text"] == (
        "*From:* anna &lt;admin&gt;  ·  *Source:* forum  ·  "
        "<https://community.example.org/t/export-empty/42|original post>"
    )
    assert [field["text"] for field in labels["fields"]] == [
        "*kind*\nbug (93%)",
        "*topic*\nExport (71%)",
        "*language*\nen",
    ]
    assert reason["elements"][0]["text"] == "*Why here:* rule: kind = bug and topic = Export → #bugs"
    assert actions["elements"][0]["url"] == "https://feedback.example.org/items/42"
    assert message["text"].startswith("Bug report from the forum: The CSV export is empty")
    assert "anna@example.org" not in str(message)


def test_bot_token_posts_with_chat_post_message_and_returns_channel_and_ts(
    fake_slack: FakeSlack, bot: SlackNotifier
) -> None:
    assert bot.send(NOTIFICATION) == "C0FEEDBACK/1700000000.000001"
    assert bot.send(NOTIFICATION, channel="C0BUGS") == "C0BUGS/1700000000.000002"

    [request, _] = fake_slack.requests_to("POST", "/api/chat.postMessage")
    assert request.headers["authorization"] == f"Bearer {fake_slack.token}"
    assert request.json()["channel"] == "#feedback"
    assert [m["channel"] for m in fake_slack.messages] == ["C0FEEDBACK", "C0BUGS"]


def test_a_minimal_notification_is_valid_block_kit(fake_slack: FakeSlack, bot: SlackNotifier) -> None:
    bot.send(Notification(title="x" * 400, text="y" * 5000))

    [message] = fake_slack.messages  # the fake checks Block Kit limits: header 150, quote cut to 3000
    assert len(message["blocks"][0]["text"]["text"]) == 150
    assert len(message["blocks"][1]["elements"][0]["elements"][0]["text"]) == 3000


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (Reply(404, "channel_not_found"), PermanentIntegrationError, "HTTP 404: channel_not_found"),
        (Reply(400, "invalid_payload"), PermanentIntegrationError, "HTTP 400: invalid_payload"),
        (Reply(403, "action_prohibited"), PermanentIntegrationError, "action_prohibited"),
        (Reply(410, "channel_is_archived"), PermanentIntegrationError, "channel_is_archived"),
        (Reply(429, "rate_limited", {"Retry-After": "7"}), RetryableIntegrationError, "retry after 7 s"),
        (Reply(500, "rollup_error"), RetryableIntegrationError, "rollup_error"),
    ],
)
def test_webhook_errors(
    fake_slack: FakeSlack, webhook: SlackNotifier, reply: Reply, error: type[Exception], message: str
) -> None:
    fake_slack.script("POST", "/services/*", reply)

    with pytest.raises(error, match=message) as raised:
        webhook.send(NOTIFICATION)

    assert type(raised.value) is error
    assert fake_slack.messages == []
    if reply.status == 429:
        assert isinstance(raised.value, RetryableIntegrationError) and raised.value.retry_after == 7


def test_a_deleted_webhook_channel_is_permanent(fake_slack: FakeSlack, webhook: SlackNotifier) -> None:
    fake_slack.webhook_channel_exists = False
    with pytest.raises(PermanentIntegrationError, match="HTTP 404: channel_not_found"):
        webhook.send(NOTIFICATION)


def test_an_unknown_webhook_is_permanent_and_the_secret_url_is_never_shown(fake_slack: FakeSlack) -> None:
    secret_url = fake_slack.url + "/services/T0FAKE/B0FAKE/revokedSecret"
    config = SlackConfig(webhook_url=secret_url)
    with (
        SlackNotifier(config) as notifier,
        pytest.raises(PermanentIntegrationError, match="no_service") as raised,
    ):
        notifier.send(NOTIFICATION)
    assert "revokedSecret" not in "".join(traceback.format_exception(raised.value))


@pytest.mark.parametrize(
    ("channel", "error"),
    [("#nope", "channel_not_found"), ("C0QUIET", "not_in_channel")],
)
def test_web_api_errors_come_with_http_200_and_are_permanent(
    bot: SlackNotifier, channel: str, error: str
) -> None:
    with pytest.raises(PermanentIntegrationError, match=error) as raised:
        bot.send(NOTIFICATION, channel=channel)
    assert raised.value.status_code == 200


def test_a_wrong_bot_token_is_invalid_auth_and_not_shown(fake_slack: FakeSlack) -> None:
    config = SlackConfig(
        bot_token="xoxb-wrong-secret", api_url=fake_slack.api_url, default_channel="#feedback"
    )
    with (
        SlackNotifier(config) as notifier,
        pytest.raises(PermanentIntegrationError, match="invalid_auth") as raised,
    ):
        notifier.send(NOTIFICATION)
    assert "xoxb-wrong-secret" not in "".join(traceback.format_exception(raised.value))


def test_web_api_rate_limit_is_retryable_with_retry_after(fake_slack: FakeSlack, bot: SlackNotifier) -> None:
    fake_slack.script(
        "POST",
        "/api/chat.postMessage",
        Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}),
    )

    with pytest.raises(RetryableIntegrationError, match="ratelimited") as raised:
        bot.send(NOTIFICATION)

    assert raised.value.retry_after == 30
    assert bot.send(NOTIFICATION) is not None


def test_web_api_internal_error_is_retryable(fake_slack: FakeSlack, bot: SlackNotifier) -> None:
    fake_slack.script("POST", "/api/chat.postMessage", Reply(200, {"ok": False, "error": "internal_error"}))
    with pytest.raises(RetryableIntegrationError, match="internal_error"):
        bot.send(NOTIFICATION)


def test_invalid_blocks_are_permanent_with_slacks_details(fake_slack: FakeSlack, bot: SlackNotifier) -> None:
    fake_slack.script(
        "POST",
        "/api/chat.postMessage",
        Reply(200, {"ok": False, "error": "invalid_blocks", "errors": ["must be more than 0 characters"]}),
    )
    with pytest.raises(PermanentIntegrationError, match=r"invalid_blocks \(must be more than 0 characters\)"):
        bot.send(NOTIFICATION)


def test_no_answer_in_time_is_an_unclear_outcome(fake_slack: FakeSlack) -> None:
    fake_slack.script("POST", "/api/chat.postMessage", Hang(seconds=30))
    config = SlackConfig(bot_token=fake_slack.token, api_url=fake_slack.api_url, timeout=0.5)
    with SlackNotifier(config) as notifier, pytest.raises(UnclearOutcomeError):
        notifier.send(NOTIFICATION, channel="#feedback")
    assert len(fake_slack.messages) == 1  # Slack did post it


def test_a_channel_cannot_be_chosen_for_an_incoming_webhook(webhook: SlackNotifier) -> None:
    with pytest.raises(PermanentIntegrationError, match="bot token"):
        webhook.send(NOTIFICATION, channel="#bugs")


def test_a_bot_token_message_needs_a_channel(fake_slack: FakeSlack) -> None:
    config = SlackConfig(bot_token="xoxb-1", api_url=fake_slack.api_url)
    with SlackNotifier(config) as notifier, pytest.raises(PermanentIntegrationError, match="no channel"):
        notifier.send(NOTIFICATION)
    assert fake_slack.requests == []


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"webhook_url": "https://hooks.slack.com/services/T/B/topSecretPart", "bot_token": "xoxb-1"},
        {"webhook_url": "not a url topSecretPart"},
        {"bot_token": "xoxb-topSecretPart", "timeout": -1},
    ],
)
def test_config_needs_exactly_one_valid_way_to_post_and_hides_secrets(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as raised:
        SlackConfig.model_validate(values)
    assert "topSecretPart" not in str(raised.value)
