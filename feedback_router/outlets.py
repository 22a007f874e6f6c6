"""The clients of the outside systems, built from the settings.

Deliveries, author notices, cluster updates and the Jira poll all send through one ``Outlets``: a
worker sweep builds it, uses each client as often as it needs, and closes it at the end. A sink's
client comes from its integration's outlet factory (``plugins``); e-mail and Discourse are not sinks.
"""

from collections.abc import Callable
from typing import Any

from feedback_router import plugins
from feedback_router.config import Settings, secret_from_env
from integrations.base import OutletContext, SinkOutlet
from integrations.discourse import DiscourseConfig, DiscoursePublisher
from integrations.errors import PermanentIntegrationError
from integrations.jira import JiraOutlet, JiraTicketSink
from integrations.mail import MailConfig, MailSender
from integrations.slack import SlackNotifier, SlackOutlet


class Outlets:
    """The clients of the outside systems, built from the settings on first use and kept."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[tuple[str, ...], Any] = {}

    def _client(self, key: tuple[str, ...], build: Callable[[], Any]) -> Any:
        if key not in self._clients:
            self._clients[key] = build()
        return self._clients[key]

    def sink(self, name: str) -> SinkOutlet:
        """The outlet of a registered integration that is a sink, built on first use."""
        outlet: SinkOutlet = self._client(("sink", name), lambda: self._build(name))
        return outlet

    def _build(self, name: str) -> SinkOutlet:
        descriptor = plugins.registered()[name]
        assert descriptor.outlet is not None, f"{name} is no sink"
        context = OutletContext(
            timeout=self.settings.delivery_timeout,
            variable=lambda field: self.settings.variable(name, field),
            secret=secret_from_env,
        )
        return descriptor.outlet(self.settings.integration(name), context)

    def jira(self, redact: bool) -> JiraTicketSink:
        outlet = self.sink("jira")
        assert isinstance(outlet, JiraOutlet)
        return outlet.client(redact)

    def slack(self, redact: bool) -> SlackNotifier:
        outlet = self.sink("slack")
        assert isinstance(outlet, SlackOutlet)
        return outlet.client(redact)

    def mail(self) -> MailSender:
        s, mail = self.settings, self.settings.mail
        if not (mail.host and mail.sender):
            names = f"{s.variable('mail', 'host')} and {s.variable('mail', 'sender')}"
            raise PermanentIntegrationError(f"e-mail is not configured: set {names}")
        host, sender = mail.host, mail.sender
        return self._client(
            ("mail",),
            lambda: MailSender(
                MailConfig(
                    host=host,
                    port=mail.port,
                    username=mail.username,
                    password=mail.password,
                    sender=sender,
                    starttls=mail.starttls,
                    timeout=s.delivery_timeout,
                )
            ),
        )

    def discourse(self) -> DiscoursePublisher:
        s, forum = self.settings, self.settings.discourse
        if forum.url is None or forum.api_key is None or not forum.api_username:
            names = ", ".join(s.variable("discourse", field) for field in ("url", "api_key", "api_username"))
            raise PermanentIntegrationError(f"Discourse is not configured: set {names}")
        url, key, username = forum.url, forum.api_key, forum.api_username
        return self._client(
            ("discourse",),
            lambda: DiscoursePublisher(
                DiscourseConfig(url=url, api_key=key, api_username=username, timeout=s.delivery_timeout)
            ),
        )

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
