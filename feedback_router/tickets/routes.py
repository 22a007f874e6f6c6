"""/v1/tickets: every ticket, on the built-in board or on its way to Jira, Slack or a webhook."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import Role
from feedback_router.config import get_settings
from feedback_router.schemas import Id
from feedback_router.tickets import service
from feedback_router.tickets.models import Delivery
from feedback_router.tickets.schemas import TicketRead
from feedback_router.wakeup import notify

router = APIRouter(prefix="/v1/tickets", tags=["tickets"], dependencies=[Depends(require(Role.manager))])


@router.get("", response_model=list[TicketRead])
def list_tickets(
    session: Session = Depends(get_session, scope="function"),
    team: str | None = None,
    delivery: Delivery | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TicketRead]:
    """Newest first; ``team`` and ``delivery`` (pending, sending, delivered, failed) narrow the list."""
    found = service.list_tickets(session=session, team=team, delivery=delivery, limit=limit)
    return [TicketRead.model_validate(t) for t in found]


@router.post(
    "/{ticket_id}/retry",
    response_model=TicketRead,
    responses={409: {"description": "The delivery has not failed"}},
)
def retry(ticket_id: Id, session: Session = Depends(get_session, scope="function")) -> TicketRead:
    """Send a failed delivery again (after its cause was fixed): pending at once, attempts from zero."""
    ticket = TicketRead.model_validate(service.retry(session=session, ticket_id=ticket_id))
    session.commit()
    notify(get_settings(), "deliver")
    return ticket
