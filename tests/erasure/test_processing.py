"""Erasure and retention where the worker runs: an author erased while their item is classified, and
the retention in the worker's sweep (the real model)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from classifiers import Classification, FeedbackClassifier
from feedback_router import jobs
from feedback_router.db import session_scope, utcnow
from feedback_router.erasure.service import MARKER, erase_author
from feedback_router.feedback import service
from feedback_router.feedback.models import Feedback, JobStatus, ProcessingJob
from feedback_router.feedback.processing import process_pending
from feedback_router.feedback.schemas import FeedbackCreate
from feedback_router.processor import get_processor
from feedback_router.routing import live
from feedback_router.schedule import forget_schedules
from feedback_router.tickets.models import Ticket

pytestmark = pytest.mark.slow

BUG = "The export to PDF crashes every time I press save on Android 14."


class ErasedMeanwhile(FeedbackClassifier):
    """The real classifier; while it works, the author asks to be erased (the real erasure runs)."""

    def __init__(self, real: FeedbackClassifier, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(real.pipeline)
        self.settings = settings

    def classify(self, texts: list[str], languages: list[str | None] | None = None) -> list[Classification]:
        results = super().classify(texts, languages)
        with session_scope(self.settings.database_url) as session:
            assert erase_author(session=session, handle="anna", source="forum").items == 1
        return results


def test_an_item_erased_while_it_is_classified_keeps_no_labels_and_gets_no_ticket(settings):
    with session_scope(settings.database_url) as session:
        feedback_in = FeedbackCreate.model_validate(
            {"text": BUG, "source": "forum", "author": {"handle": "anna"}}
        )
        item_id = service.create(session=session, feedback_in=feedback_in)[0].id
    classifier = ErasedMeanwhile(get_processor(settings).classifier, settings)

    assert process_pending(settings=settings, classifier=classifier, routing=live.current(None)) == 1

    with session_scope(settings.database_url) as session:
        item = session.get_one(Feedback, item_id)
        assert (item.text, item.embedding, item.kind, item.team) == (MARKER, None, None, None)
        assert item.status == "processed"
        job = session.scalars(select(ProcessingJob).where(ProcessingJob.feedback_id == item_id)).one()
        assert job.status == JobStatus.done
        assert session.scalars(select(Ticket)).all() == []


def test_the_workers_sweep_anonymises_items_past_the_retention(configure):
    settings = configure(retention_days=30)
    forget_schedules()
    with session_scope(settings.database_url) as session:
        old = service.create(session=session, feedback_in=FeedbackCreate(text=BUG, source="forum"))[0]
        old.received_at = utcnow() - timedelta(days=31)
        new = service.create(session=session, feedback_in=FeedbackCreate(text=BUG, source="api"))[0]
        old_id, new_id = old.id, new.id

    jobs.drain(settings)

    with session_scope(settings.database_url) as session:
        assert session.get_one(Feedback, old_id).text == MARKER
        assert session.get_one(Feedback, new_id).text == BUG and session.get_one(Feedback, new_id).kind
    forget_schedules()
