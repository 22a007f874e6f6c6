"""/v1/tickets: the built-in board."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import Role
from feedback_router.tickets import service
from feedback_router.tickets.schemas import TicketRead

router = APIRouter(prefix="/v1/tickets", tags=["tickets"], dependencies=[Depends(require(Role.manager))])


@router.get("", response_model=list[TicketRead])
def list_tickets(
    session: Session = Depends(get_session),
    team: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TicketRead]:
    return [
        TicketRead.model_validate(t) for t in service.list_tickets(session=session, team=team, limit=limit)
    ]
