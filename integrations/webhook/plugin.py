"""Outgoing webhooks as a routing sink: the descriptor that the ``feedback_router.integrations`` entry
point names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, SecretStr, StringConstraints

from integrations.base import Delivered, Integration, OutletContext, RoutingSink, SinkMessage
from integrations.errors import PermanentIntegrationError
from integrations.webhook.notifier import WebhookConfig, WebhookNotifier


class WebhookSettings(BaseModel):
    """None: each webhook sink names its URL and the variable of its signing secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class WebhookSink(RoutingSink):
    """A signed JSON POST to a URL; the signing secret is read from the named variable."""

    type: Literal["webhook"]
    url: AnyHttpUrl
    secret_env: Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]{0,127}$")] | None = None
    redact: bool = True

    @property
    def destination(self) -> str:
        return f"webhook:{self.url}"


class WebhookOutlet:
    """Signed POSTs, one client per (url, redact, secret variable), made on first use."""

    def __init__(self, settings: WebhookSettings, context: OutletContext) -> None:
        self.context = context
        self._clients: dict[tuple[str, bool, str], WebhookNotifier] = {}

    def missing(self, sink: WebhookSink) -> str | None:
        if sink.secret_env and self.context.secret(sink.secret_env) is None:
            return f"set {sink.secret_env}, its signing secret"
        return None

    def deliver(self, sink: WebhookSink, message: SinkMessage) -> Delivered:
        """POST the notification; its ``delivery_id`` lets the receiver drop repeats."""
        if (missing := self.missing(sink)) is not None:
            raise PermanentIntegrationError(f"webhook {sink.url} is not configured: {missing}")
        key = (str(sink.url), sink.redact, sink.secret_env or "")
        if key not in self._clients:
            secret = self.context.secret(sink.secret_env) if sink.secret_env else None
            config = WebhookConfig(
                url=sink.url, secret=SecretStr(secret or ""), timeout=self.context.timeout, redact=sink.redact
            )
            self._clients[key] = WebhookNotifier(config)
        return Delivered(key=self._clients[key].send(message.notification, delivery_id=message.delivery_id))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


INTEGRATION = Integration(
    name="webhook",
    title="a webhook",
    settings=WebhookSettings,
    capabilities=frozenset({"sink", "notify"}),
    sink=WebhookSink,
    outlet=WebhookOutlet,
)
