"""Corrections become training data: `feedback-router train` makes a model version that running
workers switch to without a restart; mixed messages are split into routed parts."""

from sqlalchemy import select
from typer.testing import CliRunner

from classifiers.training import seed_examples
from feedback_router.cli import app
from feedback_router.db import session_scope
from feedback_router.feedback import service
from feedback_router.feedback.models import Feedback
from feedback_router.feedback.schemas import FeedbackCreate
from feedback_router.model_versions import ModelVersion
from feedback_router.processor import get_processor
from feedback_router.tickets.models import Ticket

runner = CliRunner()
# Made-up words no seed example resembles, so only the community's labels can teach them.
JARGON = [
    f"The frobnicator quux {word} wibbles again"
    for word in ("zorp", "blarg", "fnord", "gloop", "snark", "vorp")
]


def add(settings, text: str) -> int:
    with session_scope(settings.database_url) as session:
        item, _ = service.create(session=session, feedback_in=FeedbackCreate(text=text, source="forum"))
        return item.id


def stored(settings, feedback_id: int) -> Feedback:
    with session_scope(settings.database_url) as session:
        return session.get_one(Feedback, feedback_id)


def test_corrections_retrain_the_model_and_a_running_worker_switches_to_it(api, auth, settings):
    processor = get_processor(settings)
    ids = [add(settings, text) for text in JARGON]
    processor.classify(settings)
    before = stored(settings, ids[0]).model_version
    for feedback_id in ids:
        response = api.post(
            f"/v1/feedback/{feedback_id}/labels", json={"kind": "praise"}, headers=auth["manager"]
        )
        assert response.status_code == 200

    result = runner.invoke(app, ["train"])

    assert result.exit_code == 0, result.output
    seeds = len(seed_examples()["kind"])
    assert "active" in result.stdout and f"kind {seeds + 6} (6 from corrections)" in result.stdout
    with session_scope(settings.database_url) as session:
        version = session.scalars(select(ModelVersion).where(ModelVersion.active.is_(True))).one()
        assert version.info["community"] == {"kind": 6}
    try:
        new_id = add(settings, "The frobnicator quux zorp wibbles again and again")
        processor.classify(settings)  # the same worker, no restart

        item = stored(settings, new_id)
        assert item.model_version == f"heads-{version.version}" != before
        assert item.kind == "praise"
        assert any("frobnicator" in e["text"] for e in item.kind_evidence)
    finally:
        with session_scope(settings.database_url) as session:
            session.delete(session.get(ModelVersion, version.id))
        processor.classify(settings)  # back to the seed-trained heads for the other tests
    assert processor.version_id is None


def test_mixed_message_becomes_parts_routed_on_their_own(settings):
    text = "I love the new editor, it is beautiful! But the export to PDF crashes every single time."
    parent_id = add(settings, text)

    get_processor(settings).classify(settings)

    parent = stored(settings, parent_id)
    assert parent.status == "processed" and parent.team is None
    assert parent.route_reason.startswith("mixed message, split into parts")
    with session_scope(settings.database_url) as session:
        parts = session.scalars(
            select(Feedback).where(Feedback.parent_id == parent_id).order_by(Feedback.id)
        ).all()
        teams = {
            t.feedback_id: t.team
            for t in session.scalars(select(Ticket).where(Ticket.feedback_id.in_([p.id for p in parts])))
        }
        assert session.scalar(select(Ticket).where(Ticket.feedback_id == parent_id)) is None
    assert [p.kind for p in parts] == ["praise", "bug_report"]
    for part in parts:
        assert part.text == text[part.span_start : part.span_end]
        assert part.source == "forum" and part.status == "processed"
    assert [teams[p.id] for p in parts] == ["social", "product"]
