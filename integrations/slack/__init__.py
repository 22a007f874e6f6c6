"""Slack as a notifier: Block Kit messages by incoming webhook or by bot token (``chat.postMessage``).

Usage::

    from integrations.slack import SlackConfig, SlackNotifier

    with SlackNotifier(SlackConfig(bot_token="xoxb-...", default_channel="#feedback")) as slack:
        ref = slack.send(notification)      # "C0123/1700000000.000100"

Plain httpx: Slack's two endpoints are one JSON POST each, and ``slack_sdk`` would add a dependency
(and its own retry handlers, which we would switch off) for no gain. ``api_url`` comes from the config,
so the tests point it at ``tests/fakes/slack.py``.
"""

from integrations.slack.config import SlackConfig
from integrations.slack.notifier import SlackNotifier

__all__ = ["SlackConfig", "SlackNotifier"]
