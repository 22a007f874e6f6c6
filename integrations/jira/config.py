"""Settings for one Jira site."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr


class JiraConfig(BaseModel):
    """How to reach one Jira site.

    Attributes:
        url: the site, e.g. ``https://example.atlassian.net`` or ``https://jira.example.com/jira``
            (a context path is kept).
        user: the account e-mail for Jira Cloud (HTTP basic with an API token). Empty means Jira
            Data Center / Server with a personal access token sent as ``Authorization: Bearer``.
        token: the Cloud API token or the Data Center personal access token.
        timeout: seconds to wait for a connection and again for each answer.
        settle_seconds: how long Jira Cloud's search may lag behind a create; the wait suggested in
            :class:`~integrations.errors.UnclearOutcomeError` before looking the ticket up.
        redact: remove e-mail addresses, phone numbers, IBANs and card numbers from the summary,
            description and comments before they are sent.
        webhook_secret: the secret of the admin webhook that tells us about issue changes; deliveries
            are checked against it with :func:`integrations.jira.verify_jira_signature`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # secrets inside

    url: AnyHttpUrl
    user: str = ""
    token: SecretStr
    timeout: float = Field(default=10.0, gt=0)
    settle_seconds: float = Field(default=30.0, ge=0)
    redact: bool = True
    webhook_secret: SecretStr | None = None

    @property
    def deployment(self) -> Literal["cloud", "data_center"]:
        """``"cloud"`` when a user (e-mail) is set, else ``"data_center"``."""
        return "cloud" if self.user else "data_center"

    @property
    def server(self) -> str:
        """The site URL without a trailing slash, as the jira client wants it."""
        return str(self.url).rstrip("/")


class JiraSettings(BaseModel):
    """The service's Jira settings, ``FEEDBACK_ROUTER_JIRA__<FIELD>``: unset url or token means no Jira."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # secrets inside

    url: AnyHttpUrl | None = Field(default=None, description="Jira Cloud or Data Center site")
    user: str = Field(default="", description="Account e-mail (Cloud); empty: Data Center access token")
    token: SecretStr | None = None
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret of Jira's admin webhook; unset: POST /v1/webhooks/jira is off"
    )
    poll_seconds: float = Field(
        default=300.0, ge=0, description="Seconds between polls of open Jira tickets' statuses; 0: off"
    )
