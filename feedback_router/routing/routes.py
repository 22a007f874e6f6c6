"""/v1/triage, routing an item by hand, where a forwarded item went, and the routing rules: reload,
check and apply a new file, explain where a text would go."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from classifiers import ModelNotFoundError
from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import ApiKey, Role
from feedback_router.config import get_settings
from feedback_router.errors import ConfigurationError, InvalidInput, NotFound
from feedback_router.feedback import labels, service
from feedback_router.feedback.schemas import (
    FeedbackRead,
    ForwardedPart,
    ForwardResult,
    RouteIn,
    TriagePage,
)
from feedback_router.model import get_model
from feedback_router.routing import files, live
from feedback_router.routing import service as routing_service
from feedback_router.routing.schemas import ExplainIn, RoutingApplied, RoutingCheck, TextExplanation
from feedback_router.schemas import Id
from feedback_router.wakeup import notify

router = APIRouter(tags=["routing"])
require_manager = require(Role.manager)
require_forwarder = require(Role.forwarder)
require_admin = require(Role.admin)


class ReloadResult(BaseModel):
    rules: int
    teams: int


@router.get("/v1/triage", response_model=TriagePage, dependencies=[Depends(require(Role.manager))])
def triage(
    session: Session = Depends(get_session, scope="function"),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> TriagePage:
    """Items waiting for a human, the one whose correction teaches the model most first: items like
    many others in the inbox, the less certain kind first; near-duplicates of items above after
    the others; items without kind scores last (``order`` says so). Each says why it waits in
    route_reason and route_explanation."""
    items, next_cursor = service.triage_page(session=session, limit=limit, cursor=cursor)
    return TriagePage(items=service.read_many(session, items), next_cursor=next_cursor)


@router.post("/v1/feedback/{feedback_id}/route", response_model=FeedbackRead)
def route_by_hand(
    feedback_id: Id,
    route_in: RouteIn,
    session: Session = Depends(get_session, scope="function"),
    key: ApiKey = Depends(require_manager),
) -> FeedbackRead:
    """Send an item to a team, from triage or from another team; kept as a labelled example.

    ``labels`` (optional) corrects kind, sentiment, abuse or topic in the same step.
    """
    item = service.get(session=session, feedback_id=feedback_id)
    labels.route_to_team(
        session=session,
        item=item,
        team=route_in.team,
        note=route_in.note,
        key=key,
        routing=live.current(get_settings().routing_file),
        labels_in=route_in.labels,
    )
    read = service.read_many(session, [item])[0]
    session.commit()
    notify(get_settings(), "deliver")  # its ticket goes out now, not at the next sweep
    return read


@router.get("/v1/forwarded/{feedback_id}", response_model=ForwardResult)
def forwarded(
    feedback_id: Id,
    session: Session = Depends(get_session, scope="function"),
    key: ApiKey = Depends(require_forwarder),
) -> ForwardResult:
    """Where an item the caller forwarded went (forwarders see only their own; managers all)."""
    item = service.get(session=session, feedback_id=feedback_id)
    if item.forwarded_by != key.name and not key.allows(Role.manager):
        raise NotFound(f"feedback {feedback_id} does not exist")
    return ForwardResult(
        id=item.id,
        status=item.status,
        kind=item.kind,
        team=item.team,
        route_reason=item.route_reason,
        url=get_settings().desk_link(item_id=item.id),
        parts=[
            ForwardedPart(id=part.id, kind=part.kind, team=part.team)
            for part in service.parts_of(session, item.id)
        ],
    )


@router.post("/v1/admin/reload", response_model=ReloadResult, dependencies=[Depends(require(Role.admin))])
def reload() -> ReloadResult:
    """Re-read the routing file; an invalid one answers 422 with its errors and the old rules stay."""
    try:
        config = live.rules_for(get_settings().routing_file).reload()
    except ConfigurationError as exc:
        raise InvalidInput(f"routing file not reloaded, the rules in force stay: {exc.message}") from exc
    count_rules, count_teams = live.counts(config)
    return ReloadResult(rules=count_rules, teams=count_teams)


# --- checking, applying and trying routing files ------------------------------------------------

YAML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,  # an empty body is checked like any other text: not a valid file
        "description": "The routing file's YAML as the request body (any text content type)",
        # any YAML document: whether it is a valid routing file is what these routes answer
        "content": {"application/yaml": {"schema": {}}},
    }
}


async def routing_yaml(request: Request) -> str:
    """The request body as the text of a routing file; a body that is not UTF-8 text answers 400."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise HTTPException(400, detail="request body must be the routing file's YAML as UTF-8 text")
    return text


@router.post(
    "/v1/routing/check",
    response_model=RoutingCheck,
    dependencies=[Depends(require_manager)],
    openapi_extra=YAML_BODY,
)
def check_routing(text: str = Depends(routing_yaml)) -> RoutingCheck:
    """Check a routing file before it is applied, as ``feedback-router routes check`` does: 200 whether
    it is valid or not, each problem with its line; valid ones also name tools without settings."""
    return files.check(text=text, settings=get_settings())


@router.post(
    "/v1/routing/apply",
    response_model=RoutingApplied,
    responses={
        409: {"description": "No routing file is configured (FEEDBACK_ROUTER_ROUTING_FILE)"},
        422: {"description": "The file is not valid, or sends to a tool without settings; nothing written"},
    },
    openapi_extra=YAML_BODY,
)
def apply_routing(text: str = Depends(routing_yaml), key: ApiKey = Depends(require_admin)) -> RoutingApplied:
    """Replace the routing file with this one (the previous kept as ``<file>.bak``) and reload it."""
    return files.apply(text=text, settings=get_settings(), by=key.name)


@router.post("/v1/routing/explain", response_model=TextExplanation, dependencies=[Depends(require_manager)])
def explain(explain_in: ExplainIn) -> TextExplanation:
    """Classify a text with the model and explain where it would go, as ``feedback-router route
    --explain`` does: the labels, every rule tried and why, the team and its sinks. Nothing is stored."""
    settings = get_settings()
    try:
        model = get_model(settings)  # the model this process already holds, loaded once
    except ModelNotFoundError as exc:
        raise ConfigurationError(str(exc)) from exc
    model.refresh(settings)  # the active model version, as the worker uses
    found = routing_service.route_text(
        classifier=model.classifier,
        routing=live.current(settings.routing_file),
        text=explain_in.text,
        source=explain_in.source.value,
        metadata=explain_in.metadata,
    )
    return found.explain()
