"""Settings, read once from the environment (prefix FEEDBACK_ROUTER_)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    max_body_bytes: int = 1024 * 1024
    max_batch_body_bytes: int = 16 * 1024 * 1024
    max_batch_items: int = 1000

    batch_size: int = Field(default=64, ge=1, description="Items embedded together by a worker")
    poll_interval: float = Field(default=2.0, gt=0, description="Seconds between outbox sweeps")
    job_lease_seconds: float = Field(default=300.0, gt=0, description="A claimed job is retaken after this")
    max_attempts: int = Field(
        default=5, ge=1, description="Processing attempts before an item fails for good"
    )
    retry_base_seconds: float = Field(default=5.0, ge=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
