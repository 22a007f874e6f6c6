"""/v1/authors: erase what the service holds about an author (admin)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import Role
from feedback_router.erasure import service
from feedback_router.erasure.schemas import Erased
from feedback_router.feedback.models import Source

router = APIRouter(prefix="/v1/authors", tags=["erasure"], dependencies=[Depends(require(Role.admin))])


@router.delete("/{source}/{handle:path}", response_model=Erased)
def erase_author(
    source: Source,
    handle: Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]+$")],
    session: Session = Depends(get_session, scope="function"),
) -> Erased:
    """Anonymise everything held about the author ``handle`` of ``source``: their items and parts, and
    every copy of their words (tickets, notices, cluster titles, unpublished digests, evidence).

    Answers what was erased, per kind; an author of whom nothing is held (or who was erased before)
    gets zero counts, not an error. ``outside`` lists what left before (Jira issues, Slack messages,
    webhook deliveries, published digests): erase it there.
    """
    erased = service.erase_author(session=session, handle=handle, source=source.value)
    session.commit()
    return erased
