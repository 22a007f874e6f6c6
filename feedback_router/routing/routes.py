"""/v1/triage, routing an item by hand, and reloading the routing rules."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import ApiKey, Role
from feedback_router.config import get_settings
from feedback_router.errors import ConfigurationError, InvalidInput
from feedback_router.feedback import labels, service
from feedback_router.feedback.schemas import FeedbackPage, FeedbackRead, RouteIn
from feedback_router.routing import live
from feedback_router.routing.rules import TRIAGE

router = APIRouter(tags=["routing"])
require_manager = require(Role.manager)


class ReloadResult(BaseModel):
    rules: int
    teams: int


@router.get("/v1/triage", response_model=FeedbackPage, dependencies=[Depends(require(Role.manager))])
def triage(
    session: Session = Depends(get_session),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> FeedbackPage:
    """Items waiting for a human, oldest first; each says why in route_reason and route_explanation."""
    items, next_cursor = service.list_page(
        session=session, team=TRIAGE, limit=limit, cursor=cursor, oldest_first=True
    )
    return FeedbackPage(items=service.read_many(session, items), next_cursor=next_cursor)


@router.post("/v1/feedback/{feedback_id}/route", response_model=FeedbackRead)
def route_by_hand(
    feedback_id: int,
    route_in: RouteIn,
    session: Session = Depends(get_session),
    key: ApiKey = Depends(require_manager),
) -> FeedbackRead:
    """Send an item to a team, from triage or from another team; kept as a labelled example."""
    item = service.get(session=session, feedback_id=feedback_id)
    labels.route_to_team(
        session=session,
        item=item,
        team=route_in.team,
        note=route_in.note,
        key=key,
        routing=live.current(get_settings().routing_file),
    )
    return service.read_many(session, [item])[0]


@router.post("/v1/admin/reload", response_model=ReloadResult, dependencies=[Depends(require(Role.admin))])
def reload() -> ReloadResult:
    """Re-read the routing file; an invalid one answers 422 with its errors and the old rules stay."""
    try:
        config = live.rules_for(get_settings().routing_file).reload()
    except ConfigurationError as exc:
        raise InvalidInput(f"routing file not reloaded, the rules in force stay: {exc.message}") from exc
    count_rules, count_teams = live.counts(config)
    return ReloadResult(rules=count_rules, teams=count_teams)
