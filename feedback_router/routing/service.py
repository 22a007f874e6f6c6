"""Routing an item: decide its team by the rules (or take a manager's choice), store why, act.

Every route, automatic or by hand, ends in ``_record``, which stores the decision and its
explanation on the item and then hands it to ``_act``: the one place where an item goes to its
team's sinks.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from feedback_router.clusters import service as clusters
from feedback_router.config import get_settings
from feedback_router.errors import InvalidInput
from feedback_router.feedback.models import Feedback
from feedback_router.routing.rules import MANUAL, Labels, RouteDecision, RoutingConfig, by_hand, decide
from feedback_router.routing.schemas import PartExplanation, TextExplanation
from feedback_router.tickets.delivery import open_cluster_tickets, open_tickets

if TYPE_CHECKING:
    from classifiers import FeedbackClassifier
    from classifiers.pipeline import Classification


def labels_of(item: Feedback) -> Labels:
    """What the rules look at, from a stored item."""
    return Labels(
        kind=item.kind or "other",
        confidence=item.kind_confidence or 0.0,
        source=item.source,
        sentiment=item.sentiment,
        urgency=item.urgency,
        language=item.language,
        topic=item.topic,
        abuse=item.abuse,
        abuse_confidence=item.abuse_confidence,
        part=item.parent_id is not None,
        metadata=item.meta or {},
        text=item.text,
    )


def route(*, session: Session, item: Feedback, routing: RoutingConfig, why: str = "") -> RouteDecision | None:
    """Route by the item's current labels; ``why`` prefixes the stored reason.

    An item a manager routed by hand keeps that team: the rules do not overrule a person, and
    None is returned. Otherwise returns the decision that was stored and acted on.
    """
    if item.route_rule == MANUAL:
        return None
    decision = decide(routing, labels_of(item))
    _record(session, item, decision, why)
    return decision


def route_by_hand(
    *, session: Session, item: Feedback, routing: RoutingConfig, team: str, reason: str
) -> RouteDecision:
    """Send an item to ``team`` (which the routing file must declare), as a manager chose.

    Also for an item routed elsewhere before: its old tickets stay, the new team gets its own.
    """
    try:
        decision = by_hand(routing, labels_of(item), team=team, reason=reason)
    except KeyError as exc:
        raise InvalidInput(exc.args[0]) from exc
    _record(session, item, decision)
    return decision


def _record(session: Session, item: Feedback, decision: RouteDecision, why: str = "") -> None:
    reason = why + decision.reason
    item.team, item.route_rule, item.route_reason = decision.team, decision.rule, reason
    item.route_explanation = decision.explain(reason).model_dump(mode="json")
    _act(session, item, decision)


def _act(session: Session, item: Feedback, decision: RouteDecision) -> None:
    """Open the item's tickets for its team's sinks, in the caller's transaction.

    The built-in board is written at once; tickets for Jira, Slack and webhooks wait in the
    delivery outbox (``tickets.delivery``) for a worker. Triage has no sinks: nothing happens.
    A clustered report goes to Jira on its own until its cluster has ``CLUSTER_MIN_SIZE`` items;
    from then on the cluster's own issue stands for it there.
    """
    settings = get_settings()
    cluster = clusters.attach(session=session, item=item, settings=settings)
    skip: frozenset[str] = frozenset()
    if cluster is not None and cluster.size >= settings.cluster_min_size:
        born = open_cluster_tickets(session=session, cluster_id=cluster.id, decision=decision)
        skip = frozenset(ticket.destination for ticket in born)
    open_tickets(session=session, item=item, decision=decision, skip=skip)


@dataclass(frozen=True)
class TextRoute:
    """Where a text would go, classified and routed as the service would: the whole text, and each
    part of a mixed message as ``(start, end, decision)``."""

    text: str
    decision: RouteDecision
    parts: tuple[tuple[int, int, RouteDecision], ...] = ()

    def explain(self) -> TextExplanation:
        return TextExplanation(
            text=self.text,
            **self.decision.explain().model_dump(),
            parts=[
                PartExplanation(start=start, end=end, text=self.text[start:end], **d.explain().model_dump())
                for start, end, d in self.parts
            ],
        )


def route_text(
    *,
    classifier: "FeedbackClassifier",
    routing: RoutingConfig,
    text: str,
    source: str = "api",
    metadata: Mapping[str, str] | None = None,
) -> TextRoute:
    """Classify a text with the model and decide its route; nothing is stored or sent."""
    (result,) = classifier.classify([text])

    def route_span(labels: "Classification", start: int, end: int, part: bool) -> RouteDecision:
        return decide(
            routing, Labels.of(labels, text=text[start:end], source=source, metadata=metadata, part=part)
        )

    return TextRoute(
        text=text,
        decision=route_span(result, 0, len(text), False),
        parts=tuple((p.start, p.end, route_span(p.labels, p.start, p.end, True)) for p in result.parts),
    )
