"""The classification job: the model this process holds (``model.get_model``), run over captured items."""

import threading

from feedback_router.config import Settings
from feedback_router.feedback.processing import process_pending
from feedback_router.model import LoadedModel, get_model
from feedback_router.routing import live

UNBOUNDED = 1_000_000


class Processor:
    """Classifies with the loaded model; a reload of the routing rules reaches the next batch
    (each batch takes the rules in force, routing.live)."""

    def __init__(self, model: LoadedModel) -> None:
        self.model = model
        self.classifier = model.classifier

    @property
    def version_id(self) -> int | None:
        return self.model.version_id

    def refresh(self, settings: Settings) -> None:
        self.model.refresh(settings)

    def classify(
        self, settings: Settings, stop: threading.Event | None = None, max_batches: int = UNBOUNDED
    ) -> int:
        """Embed, classify and route captured items, a batch at a time, until none is due (or ``stop``
        is set, or after ``max_batches``); returns how many were claimed."""
        self.refresh(settings)
        total = 0
        for _ in range(max_batches):
            if stop is not None and stop.is_set():
                break
            claimed = process_pending(
                settings=settings, classifier=self.classifier, routing=live.current(settings.routing_file)
            )
            if not claimed:
                break
            total += claimed
        return total


def get_processor(settings: Settings) -> Processor:
    return Processor(get_model(settings))
