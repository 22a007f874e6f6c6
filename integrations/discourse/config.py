"""Settings for one Discourse forum."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class DiscourseConfig(BaseModel):
    """How to reach one Discourse forum, and how to check the webhooks it sends us.

    Attributes:
        url: the forum, e.g. ``https://community.example.org`` (a subfolder such as ``/forum`` is kept).
        api_key: an admin API key (Admin → API → New key, "All users" or "Single user"). It is a secret.
        api_username: the account we post as (sent as ``Api-Username``); it must exist, and with a
            single-user key it must be that key's user. Thanks and digests appear under its name.
        timeout: seconds to wait for a connection and again for the answer.
        redact: remove e-mail addresses, phone numbers, IBANs and card numbers from titles and bodies
            before they are posted in public.
        webhook_secret: the secret set on the forum's webhook (Admin → API → Webhooks); incoming
            deliveries are checked against it with :func:`integrations.discourse.verify_discourse_signature`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # secrets inside

    url: AnyHttpUrl
    api_key: SecretStr
    api_username: Username
    timeout: float = Field(default=10.0, gt=0)
    redact: bool = True
    webhook_secret: SecretStr | None = None

    @property
    def base_url(self) -> str:
        """The forum URL without a trailing slash."""
        return str(self.url).rstrip("/")


class DiscourseSettings(BaseModel):
    """The service's Discourse settings, ``FEEDBACK_ROUTER_DISCOURSE__<FIELD>``: publishing needs url,
    api_key and api_username; the webhook needs its secret."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # secrets inside

    url: AnyHttpUrl | None = Field(default=None, description="Discourse forum, e.g. https://forum...")
    api_key: SecretStr | None = Field(default=None, description="Discourse admin API key")
    api_username: str | None = Field(default=None, description="Account that posts (Api-Username)")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret of the forum's webhook; unset: POST /v1/webhooks/discourse is off"
    )
    digest_category: int | None = Field(
        default=None, description="Category id for digest topics; unset: the forum's default"
    )
