"""Settings, read once from the environment (prefix FEEDBACK_ROUTER_).

Each integration's settings are a nested group: ``FEEDBACK_ROUTER_JIRA__URL``, ``FEEDBACK_ROUTER_MAIL__HOST``,
and so on for any registered integration (:mod:`feedback_router.plugins`). The flat names of the
built-in ones before that (``FEEDBACK_ROUTER_JIRA_URL``, ``FEEDBACK_ROUTER_SMTP_HOST``, ...) are still read
for one release, each with a logged deprecation warning; a nested name set too wins.
"""

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from feedback_router import plugins
from integrations.discourse import DiscourseSettings
from integrations.jira import JiraSettings
from integrations.mail import MailSettings
from integrations.slack import SlackSettings

log = logging.getLogger(__name__)

PREFIX = "FEEDBACK_ROUTER_"
# Deprecated: the flat names' prefixes and the groups their settings moved to. Remove in 0.3.
FLAT_PREFIXES = {"jira_": "jira", "slack_": "slack", "discourse_": "discourse", "smtp_": "mail"}


class _PluginAndFlatVariables(PydanticBaseSettingsSource):
    """Variables the typed fields do not name: the groups of third-party integrations
    (``FEEDBACK_ROUTER_<NAME>__<FIELD>`` into ``plugins``) and the deprecated flat names, which
    ``Settings._flat_names`` moves into their groups."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads everything at once

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        groups: dict[str, dict[str, str]] = {}
        for name, value in os.environ.items():
            if not name.upper().startswith(PREFIX):
                continue
            key = name[len(PREFIX) :].lower()
            group, nested, field = key.partition("__")
            if nested and group not in self.settings_cls.model_fields and group in plugins.registered():
                groups.setdefault(group, {})[field] = value
            elif not nested and key.startswith(tuple(FLAT_PREFIXES)):
                found[key] = value
        if groups:
            found["plugins"] = groups
        return found


class Settings(BaseSettings):
    """All configuration of the service.

    Every field can be set as an environment variable, e.g. ``FEEDBACK_ROUTER_DATABASE_URL``.
    """

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_nested_delimiter="__", extra="ignore")

    database_url: str = "sqlite:///./var/feedback-router.db"
    redis_url: str | None = Field(default=None, description="Celery broker; unset means in-process worker")
    embedding_model: str | None = Field(
        default=None,
        description="A model name (use-multilingual, all-MiniLM-L6-v2), a local sentence-transformers folder "
        "or a Hugging Face id; unset: use-multilingual",
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
    delivery_timeout: float = Field(
        default=10.0, gt=0, description="Seconds per call to Jira, Slack, webhooks"
    )
    # The built-in integrations' groups, typed for the service's own use (webhooks, polls, digests).
    jira: JiraSettings = JiraSettings()
    slack: SlackSettings = SlackSettings()
    discourse: DiscourseSettings = DiscourseSettings()
    mail: MailSettings = MailSettings()
    plugins: dict[str, Any] = Field(
        default_factory=dict,
        validate_default=True,
        description="The other integrations' groups, by name: FEEDBACK_ROUTER_<NAME>__<FIELD>",
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

    resolved_statuses: Annotated[list[str], NoDecode] = Field(
        default=["Done", "Resolved", "Closed"],
        description="Tracker statuses that mean resolved (any case), comma-separated; category done too",
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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            _PluginAndFlatVariables(settings_cls),
            file_secret_settings,
        )

    @model_validator(mode="before")
    @classmethod
    def _flat_names(cls, data: Any) -> Any:
        """Deprecated flat names (``jira_url``, ``FEEDBACK_ROUTER_SMTP_HOST``) into their groups, warning."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in [k for k in data if k not in cls.model_fields]:
            prefix = next((p for p in FLAT_PREFIXES if key.startswith(p)), None)
            if prefix is None:
                continue
            group, field = FLAT_PREFIXES[prefix], key.removeprefix(prefix)
            value = data.pop(key)
            new = f"{PREFIX}{group}__{field}".upper()
            log.warning("%s%s is deprecated and read for one more release: set %s", PREFIX, key.upper(), new)
            values = data.get(group)
            if isinstance(values, BaseModel):
                continue  # the group given as a whole wins
            data[group] = {field: value, **(values or {})}  # a nested name wins over a flat one
        return data

    @field_validator("plugins")
    @classmethod
    def _plugin_groups(cls, value: dict[str, Any]) -> dict[str, Any]:
        """Each registered integration without a typed field gets its validated group, defaults if unset."""
        return {
            name: descriptor.settings.model_validate(value.get(name, {}))
            for name, descriptor in plugins.registered().items()
            if name not in cls.model_fields
        }

    def integration(self, name: str) -> BaseModel:
        """The settings group of a registered integration (``FEEDBACK_ROUTER_<NAME>__<FIELD>``)."""
        return getattr(self, name) if name in type(self).model_fields else self.plugins[name]

    def variable(self, group: str, field: str) -> str:
        """The variable of a setting in a group: ``("jira", "url")`` → ``FEEDBACK_ROUTER_JIRA__URL``."""
        return f"{PREFIX}{group}__{field}".upper()

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
