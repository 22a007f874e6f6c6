"""Slack as a notifier (Block Kit messages by incoming webhook or bot token) and as a source (a message
shortcut).

Usage::

    from integrations.slack import (SlackConfig, SlackNotifier, MessageShortcut, parse_interaction,
                                    verify_slack_request)

    with SlackNotifier(SlackConfig(bot_token="xoxb-...", default_channel="#feedback")) as slack:
        ref = slack.send(notification)      # "C0123/1700000000.000100"
        slack.reply("C0123", "1700000000.000100", "Thanks, this is fixed now!")

    # the interactivity route, with the raw body bytes:
    verify_slack_request(signing_secret, raw_body, request.headers.get("X-Slack-Request-Timestamp"),
                         request.headers.get("X-Slack-Signature"))   # WebhookSignatureError: answer 401
    interaction = parse_interaction(raw_body)   # MessageShortcut: text, author, channel, ts, permalink

Plain httpx: Slack's two endpoints are one JSON POST each, and ``slack_sdk`` would add a dependency
(and its own retry handlers, which we would switch off) for no gain. ``api_url`` comes from the config,
so the tests point it at ``tests/fakes/slack.py``.
"""

from integrations.slack.config import SlackConfig, SlackSettings
from integrations.slack.notifier import SlackNotifier, escape_mrkdwn
from integrations.slack.plugin import SlackOutlet, SlackSink
from integrations.slack.shortcut import (
    MAX_AGE_SECONDS,
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

__all__ = [
    "MAX_AGE_SECONDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "MessageShortcut",
    "OtherInteraction",
    "SlackConfig",
    "SlackNotifier",
    "SlackOutlet",
    "SlackSettings",
    "SlackSink",
    "escape_mrkdwn",
    "parse_interaction",
    "permalink",
    "plain_text",
    "sign_slack_request",
    "verify_slack_request",
]
