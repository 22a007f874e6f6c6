"""Tickets: every delivery to the board, Jira, Slack and webhooks, with failed ones to retry.

The page reads the tickets table (the delivery outbox); its Retry button sends
``POST /v1/tickets/{id}/retry``, and rows still on their way are refreshed from ``/tickets/rows``.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session
from feedback_router.config import get_settings
from feedback_router.routing import live
from feedback_router.schemas import Id
from feedback_router.tickets import service
from feedback_router.tickets.models import Delivery
from feedback_router.web.pages import Viewer, manager, render

router = APIRouter(include_in_schema=False)

TICKETS_PAGE = 200
STATES = tuple(state.value for state in Delivery)


@router.get("/tickets", response_class=HTMLResponse)
def tickets(
    request: Request,
    delivery: str | None = None,
    team: str | None = None,
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """Failed deliveries first, then the newest; filtered by delivery state and team."""
    delivery = delivery if delivery in STATES else None
    team = team or None
    found = service.list_tickets(
        session=session, team=team, delivery=delivery, limit=TICKETS_PAGE, failed_first=True
    )
    teams = sorted(
        set(live.current(get_settings().routing_file).teams) | set(service.ticket_teams(session=session))
    )
    return render(
        request,
        "tickets.html",
        viewer,
        tickets=found,
        counts=service.delivery_counts(session=session),
        states=STATES,
        teams=teams,
        filters={"delivery": delivery, "team": team},
        limit=TICKETS_PAGE,
    )


@router.get("/tickets/rows", response_class=HTMLResponse)
def ticket_rows(
    request: Request,
    ids: Annotated[list[Id], Query(max_length=TICKETS_PAGE)],
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """The rows of these tickets as they are now: the page refreshes those still on their way."""
    found = service.list_tickets(session=session, team=None, ids=ids, limit=TICKETS_PAGE)
    return render(request, "tickets_rows.html", viewer, tickets=found)
