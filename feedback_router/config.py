"""Settings, read once from the environment (prefix FEEDBACK_ROUTER_)."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration of the service.

    Every field can be set as an environment variable, e.g. ``FEEDBACK_ROUTER_DATABASE_URL``.
    """

    model_config = SettingsConfigDict(env_prefix="FEEDBACK_ROUTER_", extra="ignore")

    database_url: str = "sqlite:///./var/feedback-router.db"
    redis_url: str | None = Field(default=None, description="Celery broker; unset means in-process worker")
    embedding_model: str | None = Field(
        default=None, description="Local sentence-transformers model path; default is the packaged model"
    )
    routing_file: Path | None = Field(default=None, description="Routing YAML; default is the packaged one")
    topics_file: Path | None = Field(default=None, description="Topic taxonomy YAML; no topics without one")
    host: str = "127.0.0.1"
    port: int = 8000
    auto_migrate: bool = Field(default=True, description="Apply migrations when the service starts")
    admin_key_file: Path | None = Field(
        default=None, description="The first start writes its admin key here (mode 0600), not to the log"
    )

    log_format: Literal["text", "json"] = Field(
        default="text", description="text, or json: one JSON object per line, with the context fields"
    )
    access_log: bool = Field(
        default=False,
        description="Log every HTTP request (off: under a load of captures it took 1/6 of the API's time)",
    )
    metrics_open: bool = Field(
        default=False, description="GET /metrics without an API key (a scraper inside your network)"
    )

    max_body_bytes: int = 1024 * 1024
    session_hours: float = Field(default=12.0, gt=0, description="A web app sign-in lasts this long")
    auth_max_failures: int = Field(
        default=10, ge=1, description="Failed sign-ins or API keys per account and per address in the window"
    )
    auth_window_seconds: float = Field(
        default=900.0, gt=0, description="Window of AUTH_MAX_FAILURES; then 429 until the oldest expires"
    )
    max_batch_body_bytes: int = 16 * 1024 * 1024
    max_batch_items: int = 1000

    batch_size: int = Field(default=64, ge=1, description="Items embedded together by a worker")
    poll_interval: float = Field(default=2.0, gt=0, description="Seconds between outbox sweeps")
    job_lease_seconds: float = Field(default=300.0, gt=0, description="A claimed job is retaken after this")
    max_attempts: int = Field(
        default=5, ge=1, description="Processing attempts before an item fails for good"
    )
    retry_base_seconds: float = Field(default=5.0, ge=0)

    # Where routed items go (the routing file names projects and channels; these say how to reach them).
    public_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://127.0.0.1:8000"), description="This service as people reach it, for links"
    )
    jira_url: AnyHttpUrl | None = Field(default=None, description="Jira Cloud or Data Center site")
    jira_user: str = Field(default="", description="Account e-mail (Cloud); empty: Data Center access token")
    jira_token: SecretStr | None = None
    slack_webhook_url: SecretStr | None = Field(default=None, description="Incoming webhook (one channel)")
    slack_bot_token: SecretStr | None = Field(default=None, description="Bot token for chat.postMessage")
    slack_api_url: AnyHttpUrl = AnyHttpUrl("https://slack.com/api")
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        description="Signing secret of the Slack app; unset: POST /v1/integrations/slack/actions is off",
    )
    slack_shortcut_callback_id: str = Field(
        default="forward_to_feedback_router",
        description="Callback id of the message shortcut that forwards a message; other ids are ignored",
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail to authors; unset: none")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = Field(default="", description="From address of e-mail to authors")
    smtp_starttls: bool = True
    delivery_timeout: float = Field(
        default=10.0, gt=0, description="Seconds per call to Jira, Slack, webhooks"
    )
    cluster_teams: Annotated[list[str], NoDecode] = Field(
        default=["product"], description="Teams whose reports are clustered, comma-separated"
    )
    cluster_kinds: Annotated[list[str], NoDecode] = Field(
        default=["bug_report", "feature_request", "criticism"], description="Kinds that are clustered"
    )
    cluster_threshold: float | None = Field(
        default=None, gt=0, lt=1, description="Similarity to join a cluster; unset: the model's tuned one"
    )
    cluster_recluster_seconds: float = Field(
        default=3600.0, ge=0, description="Re-clustering (merge, split, move) every this many seconds; 0: off"
    )
    cluster_title_language: str = Field(
        default="en",
        pattern=r"^([a-z]{2})?$",
        description="Language of a cluster's title in its Jira issue (ISO 639-1; empty: the language most of "
        "its reports are in); a cluster with no report in it gets the title in that majority language",
    )
    cluster_min_size: int = Field(default=3, ge=1, description="Items a cluster needs before its own ticket")
    cluster_sync_seconds: float = Field(
        default=600.0, ge=0, description="At most one write to a cluster's ticket per this many seconds"
    )
    delivery_max_attempts: int = Field(
        default=8, ge=1, description="Attempts at a delivery that keeps failing for a passing reason"
    )

    # Ticket status flowing back from Jira: its webhook, and polling for what a webhook missed.
    jira_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret of Jira's admin webhook; unset: POST /v1/webhooks/jira is off"
    )
    jira_poll_seconds: float = Field(
        default=300.0, ge=0, description="Seconds between polls of open Jira tickets' statuses; 0: off"
    )
    resolved_statuses: Annotated[list[str], NoDecode] = Field(
        default=["Done", "Resolved", "Closed"],
        description="Tracker statuses that mean resolved (any case), comma-separated; category done too",
    )

    # The community forum: digests are published there as topics.
    discourse_url: AnyHttpUrl | None = Field(
        default=None, description="Discourse forum, e.g. https://forum..."
    )
    discourse_api_key: SecretStr | None = Field(default=None, description="Discourse admin API key")
    discourse_api_username: str | None = Field(default=None, description="Account that posts (Api-Username)")
    discourse_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret of the forum's webhook; unset: POST /v1/webhooks/discourse is off"
    )
    discourse_digest_category: int | None = Field(
        default=None, description="Category id for digest topics; unset: the forum's default"
    )
    digest_auto_publish: bool = Field(
        default=False, description="Approve and publish a digest as soon as it is created"
    )
    digest_not_started_statuses: Annotated[list[str], NoDecode] = Field(
        default=["to do", "open", "new", "backlog", "reopened", "zu erledigen", "offen", "neu"],
        description="Ticket statuses that mean work has not started (any case), comma-separated",
    )

    retention_days: int | None = Field(
        default=None, ge=1, description="Items older than this many days are anonymised; unset: kept"
    )

    def link(self, path: str) -> str:
        """An address of this service as people reach it; ``path`` starts with a slash."""
        return str(self.public_url).rstrip("/") + path

    def desk_link(self, *, item_id: int | None = None, cluster_id: int | None = None) -> str:
        """The desk's page of an item or a cluster, for every link that leaves the service (Jira, Slack,
        webhooks, thread replies): a page a person opens in a browser, after signing in if need be."""
        if cluster_id is not None:
            return self.link(f"/clusters/{cluster_id}")
        assert item_id is not None
        return self.link(f"/inbox?id={item_id}")

    @field_validator(
        "cluster_teams", "cluster_kinds", "digest_not_started_statuses", "resolved_statuses", mode="before"
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()


def secret_from_env(name: str) -> str | None:
    """A secret the routing file names by its variable (webhook signing secrets): read only here."""
    return os.environ.get(name) or None
