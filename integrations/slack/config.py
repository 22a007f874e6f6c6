"""Settings for posting to Slack."""

from __future__ import annotations

from typing import Self

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator


class SlackConfig(BaseModel):
    """How to post to Slack: an incoming webhook, or a bot token with ``chat.postMessage``.

    Set exactly one of ``webhook_url`` and ``bot_token``.

    Attributes:
        webhook_url: an incoming webhook (``https://hooks.slack.com/services/T…/B…/…``). It is a
            secret (whoever has it can post), so it is kept as one and never appears in messages.
            It posts to the channel it was created for.
        bot_token: a bot token (``xoxb-…``) with ``chat:write``; the channel is chosen per message.
        api_url: the Web API base, ``https://slack.com/api`` unless a test points it elsewhere.
        default_channel: the channel (id or ``#name``) for bot-token messages that name none.
        timeout: seconds to wait for a connection and again for the answer.
        redact: remove e-mail addresses, phone numbers, IBANs and card numbers from the texts.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # secrets inside

    webhook_url: SecretStr | None = None
    bot_token: SecretStr | None = None
    api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api")
    default_channel: str | None = None
    timeout: float = Field(default=10.0, gt=0)
    redact: bool = True

    @model_validator(mode="after")
    def _one_way_to_post(self) -> Self:
        if (self.webhook_url is None) == (self.bot_token is None):
            raise ValueError("set exactly one of webhook_url (incoming webhook) and bot_token (Web API)")
        if self.webhook_url is not None:
            try:
                AnyHttpUrl(self.webhook_url.get_secret_value())
            except ValidationError:
                raise ValueError("webhook_url is not an http(s) URL") from None
        return self


class SlackSettings(BaseModel):
    """The service's Slack settings, ``FEEDBACK_ROUTER_SLACK__<FIELD>``: posting needs a bot token or an
    incoming webhook; the message shortcut needs the signing secret."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # secrets inside

    webhook_url: SecretStr | None = Field(default=None, description="Incoming webhook (one channel)")
    bot_token: SecretStr | None = Field(default=None, description="Bot token for chat.postMessage")
    api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api")
    signing_secret: SecretStr | None = Field(
        default=None,
        description="Signing secret of the Slack app; unset: POST /v1/integrations/slack/actions is off",
    )
    shortcut_callback_id: str = Field(
        default="forward_to_feedback_router",
        description="Callback id of the message shortcut that forwards a message; other ids are ignored",
    )
