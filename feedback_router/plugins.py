"""The integration registry: the descriptors that installed packages register under the entry point
group ``feedback_router.integrations`` (the built-in ones in our own pyproject.toml).

Read once per process: routing files, settings and outlets are built from it. An entry point that
fails to load, or loads something other than an :class:`~integrations.base.Integration`, is logged and
skipped, so a broken plugin cannot stop the service; routing files that name it are then invalid.
"""

import logging
from functools import lru_cache
from importlib.metadata import entry_points

from integrations.base import Integration, RoutingSink

GROUP = "feedback_router.integrations"

log = logging.getLogger(__name__)


@lru_cache
def registered() -> dict[str, Integration]:
    """The integrations by name, in the order their packages declare them."""
    found: dict[str, Integration] = {}
    for point in entry_points(group=GROUP):
        try:
            descriptor = point.load()
        except Exception:  # any error in someone else's package: report it, start without it
            log.exception("integration %s (%s) failed to load and is skipped", point.name, point.value)
            continue
        if not isinstance(descriptor, Integration):
            log.error("integration %s (%s) is not an Integration and is skipped", point.name, point.value)
        elif descriptor.name in found:
            log.error(
                "integration %s (%s) is registered twice; the second is skipped", point.name, point.value
            )
        else:
            found[descriptor.name] = descriptor
    return found


def sink_models() -> list[type[RoutingSink]]:
    """The routing file's sink models of the integrations that are sinks."""
    return [d.sink for d in registered().values() if d.sink is not None]
