"""Slack as a routing sink: the descriptor that the ``feedback_router.integrations`` entry point names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from integrations.base import Delivered, Integration, OutletContext, RoutingSink, SinkMessage
from integrations.errors import PermanentIntegrationError
from integrations.slack.config import SlackConfig, SlackSettings
from integrations.slack.notifier import SlackNotifier


class SlackSink(RoutingSink):
    """A message in a Slack channel (by name, or by id such as C0123ABCD)."""

    type: Literal["slack"]
    channel: Annotated[str, StringConstraints(pattern=r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{8,20})$")]
    redact: bool = True

    @property
    def destination(self) -> str:
        return f"slack:{self.channel}"


class SlackOutlet:
    """Messages in Slack, one client per redaction setting, made on first use. Slack messages cannot be
    looked up: after an unclear failure one may be posted twice."""

    def __init__(self, settings: SlackSettings, context: OutletContext) -> None:
        self.settings = settings
        self.context = context
        self._clients: dict[bool, SlackNotifier] = {}

    def missing(self, sink: SlackSink | None = None) -> str | None:
        if self.settings.bot_token is None and self.settings.webhook_url is None:
            return f"set {self.context.variable('bot_token')} or {self.context.variable('webhook_url')}"
        return None

    def client(self, redact: bool) -> SlackNotifier:
        """The Slack client for sinks with this ``redact``; also for replies in threads."""
        if (missing := self.missing()) is not None:
            raise PermanentIntegrationError(f"Slack is not configured: {missing}")
        if redact not in self._clients:
            s = self.settings
            config = SlackConfig(
                webhook_url=None if s.bot_token else s.webhook_url,  # the bot token can choose the channel
                bot_token=s.bot_token,
                api_url=s.api_url,
                timeout=self.context.timeout,
                redact=redact,
            )
            self._clients[redact] = SlackNotifier(config)
        return self._clients[redact]

    def deliver(self, sink: SlackSink, message: SinkMessage) -> Delivered:
        return Delivered(key=self.client(sink.redact).send(message.notification, channel=sink.channel))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


INTEGRATION = Integration(
    name="slack",
    title="Slack",
    settings=SlackSettings,
    capabilities=frozenset({"sink", "notify", "capture"}),
    sink=SlackSink,
    outlet=SlackOutlet,
)
