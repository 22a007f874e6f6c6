"""What this process did, counted for Prometheus: items processed, failures, delivery latency, batch time.

GET /metrics (health.py) serves these with the figures it reads from the database at each scrape
(the backlog of each outbox, what failed for good, the model version): those are the same whichever
process answers, these count what the answering process did. Where several processes on one host
do the work (``serve`` beside Celery workers), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder
that all of them share, for each process's lifetime: /metrics then adds up every process's figures.
"""

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

ITEMS_PROCESSED = Counter("feedback_router_items_processed", "Items embedded, classified and routed")
FAILURES = Counter(
    "feedback_router_failures",
    "Failed attempts, by outbox (processing, deliveries, author_notices) and reason (the error's type)",
    ["outbox", "reason"],
)
DELIVERY_LATENCY = Histogram(
    "feedback_router_delivery_latency_seconds",
    "From a ticket's routing to its delivery to the outside system, retries included; by sink",
    ["sink"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
)
BATCH_SECONDS = Histogram(
    "feedback_router_batch_processing_seconds",
    "Time to embed, classify and route one batch of items",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


def failed(outbox: str, error: BaseException | str) -> None:
    """Count a failed attempt; ``error`` is the exception, or a reason's name where there is none."""
    reason = error if isinstance(error, str) else type(error).__name__
    FAILURES.labels(outbox=outbox, reason=reason).inc()


def process_registry() -> CollectorRegistry:
    """This process's figures, or every process's in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY
