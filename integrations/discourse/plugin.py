"""Discourse's descriptor for the ``feedback_router.integrations`` entry point: settings only, since
routing files do not send to a forum (digests and thanks do)."""

from integrations.base import Integration
from integrations.discourse.config import DiscourseSettings

INTEGRATION = Integration(
    name="discourse",
    title="Discourse",
    settings=DiscourseSettings,
    capabilities=frozenset({"publish", "capture"}),
)
