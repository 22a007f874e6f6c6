"""Routing an item: decide its team by the rules, store why, and open its ticket."""

from sqlalchemy.orm import Session

from feedback_router.feedback.models import Feedback
from feedback_router.routing.rules import TRIAGE, RoutingConfig, decide
from feedback_router.tickets.service import open_board_ticket


def route(*, session: Session, item: Feedback, routing: RoutingConfig, why: str = "") -> None:
    """Route by the item's current kind; ``why`` prefixes the stored reason. Triage gets no ticket."""
    decision = decide(
        routing, kind=item.kind or "other", confidence=item.kind_confidence or 0.0, source=item.source
    )
    item.team, item.route_rule, item.route_reason = decision.team, decision.rule, why + decision.reason
    if decision.team != TRIAGE:
        open_board_ticket(session=session, item=item, decision=decision)
