"""Managers' corrections of labels. A correction wins over the model and becomes training data."""

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.labels import KINDS, NO_TOPIC, TASKS
from feedback_router.auth.models import ApiKey
from feedback_router.feedback.models import Feedback, FeedbackLabel
from feedback_router.feedback.schemas import LabelsIn
from feedback_router.routing.rules import TRIAGE, RouteDecision, RoutingConfig, decide
from feedback_router.routing.service import labels_of, route, route_by_hand

TEAM = "team"  # the task of a manager's choice of team; kept, not yet trained on


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
    given = _apply(session, item, labels_in, api_key_id)
    if "kind" in given:
        route(
            session=session, item=item, routing=routing, why=f"kind corrected by a manager to {item.kind}; "
        )
    session.flush()


def _apply(session: Session, item: Feedback, labels_in: LabelsIn, api_key_id: int | None) -> dict[str, Any]:
    """Store the given labels and set them on the item; returns them by task."""
    given = labels_in.model_dump(exclude_unset=True)
    for task, value in given.items():
        # abuse is stored with the head's labels; a topic of null ("no topic") is a label too
        _store(
            session, item, task, {True: "abusive", False: "ok", None: NO_TOPIC}.get(value, value), api_key_id
        )
    item.corrected = {**(item.corrected or {}), **given}  # JSON keeps true/false and null as they are
    apply_corrections(item)
    return given


def route_to_team(
    *,
    session: Session,
    item: Feedback,
    team: str,
    note: str | None,
    key: ApiKey,
    routing: RoutingConfig,
    labels_in: LabelsIn | None = None,
) -> RouteDecision:
    """A manager sends an item to a team: routed like any item, and kept as a labelled example.

    ``labels_in`` are corrections made with the choice (triage's one click): stored first, in the
    same transaction, and they do not route the item by the rules: the team chosen is where it
    goes, so a corrected kind never opens a ticket for a team nobody chose. The rules no longer
    move the item (see routing.service.route); a later choice replaces it.
    """
    corrected = ""
    if labels_in is not None:
        given = _apply(session, item, labels_in, key.id)
        corrected = ", " + ", ".join(f"{task} corrected to {_shown(value)}" for task, value in given.items())
    reason = f"routed by hand by key {key.name}{corrected}" + (f": {note}" if note else "")
    decision = route_by_hand(session=session, item=item, routing=routing, team=team, reason=reason)
    _store(session, item, TEAM, team, key.id)
    session.flush()
    return decision


def proposed_teams(*, item: Feedback, routing: RoutingConfig) -> dict[str, str | None]:
    """The team the rules would choose for each kind, were a manager to confirm that kind.

    None where no rule takes the kind (it would wait in triage again). Triage presets its team
    choice with these, so that correcting the kind proposes the matching team.
    """
    labels = labels_of(item)
    proposals: dict[str, str | None] = {}
    for kind in KINDS:
        decision = decide(routing, replace(labels, kind=kind, confidence=1.0))
        if decision.rule is None and decision.trials and decision.trials[-1].matched:
            # a moderation rule left an unsure abuse flag to a person: the manager confirming the kind
            # is that person, so the kind's own rule proposes the team
            decision = decide(routing, replace(labels, kind=kind, confidence=1.0, abuse=False, part=False))
        proposals[kind] = None if decision.team == TRIAGE else decision.team
    return proposals


def _shown(value: object) -> str:
    if value is None:
        return "no topic"
    if isinstance(value, bool):
        return "abusive" if value else "not abusive"
    return str(value)


def _store(session: Session, item: Feedback, task: str, value: str, api_key_id: int | None) -> None:
    """One label per item and task: a second correction replaces the first."""
    row = session.scalar(
        select(FeedbackLabel).where(FeedbackLabel.feedback_id == item.id, FeedbackLabel.task == task)
    )
    if row is None:
        session.add(FeedbackLabel(feedback_id=item.id, task=task, value=value, api_key_id=api_key_id))
    else:
        row.value, row.api_key_id = value, api_key_id


def training_examples(*, session: Session) -> dict[str, list[tuple[str, str]]]:
    """Every correction as (text, label) per task that has a head: the community's own training data.

    Managers' team choices are kept as examples too, but no head learns from them (yet). An erased
    item's labels stay as counts but teach nothing: its text is gone.
    """
    rows = session.execute(
        select(FeedbackLabel.task, Feedback.text, FeedbackLabel.value)
        .join(Feedback, Feedback.id == FeedbackLabel.feedback_id)
        .where(FeedbackLabel.task.in_(TASKS), Feedback.erased_at.is_(None))
        .order_by(FeedbackLabel.id)
    )
    examples: dict[str, list[tuple[str, str]]] = {}
    for task, text, value in rows:
        examples.setdefault(task, []).append((text, value))
    return examples
