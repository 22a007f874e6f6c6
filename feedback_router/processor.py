"""The loaded model, kept once per process: the classification job and the API's explain share it."""

import logging
import threading
from functools import lru_cache
from pathlib import Path

from feedback_router import model_versions
from feedback_router.config import Settings
from feedback_router.db import session_scope
from feedback_router.feedback.processing import process_pending
from feedback_router.routing import live

log = logging.getLogger(__name__)

UNBOUNDED = 1_000_000


class Processor:
    """The loaded model, shared by every batch in this process.

    The routing rules are not part of it: each batch takes the rules in force for the settings'
    routing file (routing.live), so that a reload reaches the next batch.
    """

    def __init__(self, *, embedding_model: str | None, batch_size: int, topics_file: Path | None) -> None:
        from classifiers import FeedbackClassifier  # the model libraries load only where a worker runs

        self.classifier = FeedbackClassifier.from_model(
            embedding_model, batch_size, str(topics_file) if topics_file else None
        )
        self.version_id: int | None = None
        self.base_heads = self.classifier.labeler.heads  # trained from the seed sets at warm-up

    def refresh(self, settings: Settings) -> None:
        """Switch to the active model version when `feedback-router train` made a new one."""
        from classifiers.heads import HeadSet

        with session_scope(settings.database_url) as session:
            active = model_versions.active_id(session=session)
            if active == self.version_id:
                return
            if active is None:  # no trained version (any more): back to the seed-trained heads
                assert self.base_heads is not None
                self.classifier.set_heads(self.base_heads)
                self.version_id = None
                return
            row = model_versions.get(session=session, version_id=active)
            assert row is not None
            heads = HeadSet.from_bytes(row.heads)
        try:
            self.classifier.set_heads(heads)
        except ValueError as exc:  # trained for another embedding model: keep working with ours
            log.error("not switching to model version %s: %s", heads.version, exc)
        else:
            log.info("switched to model version %s", heads.version)
        self.version_id = active

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


@lru_cache
def _processor(embedding_model: str | None, batch_size: int, topics_file: Path | None) -> Processor:
    return Processor(embedding_model=embedding_model, batch_size=batch_size, topics_file=topics_file)


_loading = threading.Lock()


def get_processor(settings: Settings) -> Processor:
    # One load at a time: the API's explain requests and the worker may ask at the same moment.
    with _loading:
        return _processor(settings.embedding_model, settings.batch_size, settings.topics_file)
