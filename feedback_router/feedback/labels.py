"""Managers' corrections of labels. A correction wins over the model and becomes training data."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.labels import NO_TOPIC
from feedback_router.feedback.models import Feedback, FeedbackLabel
from feedback_router.feedback.schemas import LabelsIn
from feedback_router.routing.rules import RoutingConfig
from feedback_router.routing.service import route


def apply_corrections(item: Feedback) -> None:
    """Set the labels a manager corrected, with full confidence, over whatever the model said."""
    for task, value in (item.corrected or {}).items():
        setattr(item, task, value)
        setattr(item, f"{task}_confidence", 1.0)


def correct(
    *, session: Session, item: Feedback, labels_in: LabelsIn, api_key_id: int | None, routing: RoutingConfig
) -> None:
    """Store each given label and apply it to the item; a corrected kind routes the item again.

    A ticket already opened stays (it may be worked on); an item that waited in triage gets the
    ticket of its new team.
    """
    given = labels_in.model_dump(exclude_unset=True)
    for task, value in given.items():
        # abuse is stored with the head's labels; a topic of null ("no topic") is a label too
        stored = {True: "abusive", False: "ok", None: NO_TOPIC}.get(value, value)
        row = session.scalar(
            select(FeedbackLabel).where(FeedbackLabel.feedback_id == item.id, FeedbackLabel.task == task)
        )
        if row is None:
            session.add(FeedbackLabel(feedback_id=item.id, task=task, value=stored, api_key_id=api_key_id))
        else:
            row.value, row.api_key_id = stored, api_key_id
    item.corrected = {**(item.corrected or {}), **given}  # JSON keeps true/false and null as they are
    apply_corrections(item)
    if "kind" in given:
        route(
            session=session, item=item, routing=routing, why=f"kind corrected by a manager to {item.kind}; "
        )
    session.flush()


def training_examples(*, session: Session) -> dict[str, list[tuple[str, str]]]:
    """Every correction as (text, label) per task: the community's own training data."""
    rows = session.execute(
        select(FeedbackLabel.task, Feedback.text, FeedbackLabel.value)
        .join(Feedback, Feedback.id == FeedbackLabel.feedback_id)
        .order_by(FeedbackLabel.id)
    )
    examples: dict[str, list[tuple[str, str]]] = {}
    for task, text, value in rows:
        examples.setdefault(task, []).append((text, value))
    return examples
