"""The clients of the outside systems (Jira, Slack, webhooks, e-mail, Discourse), built from the settings.

Deliveries, author notices, cluster updates and the Jira poll all send through one ``Outlets``: a
worker sweep builds it, uses each client as often as it needs, and closes it at the end.
"""

from collections.abc import Callable
from typing import Any

from pydantic import AnyHttpUrl, SecretStr

from feedback_router.config import Settings, secret_from_env
from integrations.discourse import DiscourseConfig, DiscoursePublisher
from integrations.errors import PermanentIntegrationError
from integrations.jira import JiraConfig, JiraTicketSink
from integrations.mail import MailConfig, MailSender
from integrations.slack import SlackConfig, SlackNotifier
from integrations.webhook import WebhookConfig, WebhookNotifier


class Outlets:
    """The clients of the outside systems, built from the settings on first use and kept."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[tuple[str, ...], Any] = {}

    def _client(self, key: tuple[str, ...], build: Callable[[], Any]) -> Any:
        if key not in self._clients:
            self._clients[key] = build()
        return self._clients[key]

    def jira(self, redact: bool) -> JiraTicketSink:
        s = self.settings
        if s.jira_url is None or s.jira_token is None:
            raise PermanentIntegrationError(
                "Jira is not configured: set FEEDBACK_ROUTER_JIRA_URL and FEEDBACK_ROUTER_JIRA_TOKEN"
            )
        url, token = s.jira_url, s.jira_token
        return self._client(
            ("jira", str(redact)),
            lambda: JiraTicketSink(
                JiraConfig(url=url, user=s.jira_user, token=token, timeout=s.delivery_timeout, redact=redact)
            ),
        )

    def slack(self, redact: bool) -> SlackNotifier:
        s = self.settings
        if s.slack_webhook_url is None and s.slack_bot_token is None:
            raise PermanentIntegrationError(
                "Slack is not configured: set FEEDBACK_ROUTER_SLACK_BOT_TOKEN "
                "or FEEDBACK_ROUTER_SLACK_WEBHOOK_URL"
            )
        return self._client(
            ("slack", str(redact)),
            lambda: SlackNotifier(
                SlackConfig(
                    webhook_url=None if s.slack_bot_token else s.slack_webhook_url,
                    bot_token=s.slack_bot_token,
                    api_url=s.slack_api_url,
                    timeout=s.delivery_timeout,
                    redact=redact,
                )
            ),
        )

    def webhook(self, *, url: AnyHttpUrl, secret_env: str | None, redact: bool) -> WebhookNotifier:
        """A webhook's notifier; ``secret_env`` names the variable that holds its signing secret."""
        secret = secret_from_env(secret_env) if secret_env else None
        if secret_env and secret is None:
            raise PermanentIntegrationError(f"webhook secret variable {secret_env} is not set")
        config = WebhookConfig(
            url=url, secret=SecretStr(secret or ""), timeout=self.settings.delivery_timeout, redact=redact
        )
        key = ("webhook", str(url), str(redact), secret_env or "")
        return self._client(key, lambda: WebhookNotifier(config))

    def mail(self) -> MailSender:
        s = self.settings
        if not (s.smtp_host and s.smtp_sender):
            raise PermanentIntegrationError(
                "e-mail is not configured: set FEEDBACK_ROUTER_SMTP_HOST and FEEDBACK_ROUTER_SMTP_SENDER"
            )
        host, sender = s.smtp_host, s.smtp_sender
        return self._client(
            ("mail",),
            lambda: MailSender(
                MailConfig(
                    host=host,
                    port=s.smtp_port,
                    username=s.smtp_username,
                    password=s.smtp_password,
                    sender=sender,
                    starttls=s.smtp_starttls,
                    timeout=s.delivery_timeout,
                )
            ),
        )

    def discourse(self) -> DiscoursePublisher:
        s = self.settings
        if s.discourse_url is None or s.discourse_api_key is None or not s.discourse_api_username:
            raise PermanentIntegrationError(
                "Discourse is not configured: set FEEDBACK_ROUTER_DISCOURSE_URL, "
                "FEEDBACK_ROUTER_DISCOURSE_API_KEY and FEEDBACK_ROUTER_DISCOURSE_API_USERNAME"
            )
        url, key, username = s.discourse_url, s.discourse_api_key, s.discourse_api_username
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
