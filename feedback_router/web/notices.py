"""Notices: the authors to tell that what they reported was resolved, one per author and problem.

The page reads what ``GET /v1/notices`` lists (``loopback.notices.list_page``), filtered by state
(open: not told yet; done), channel (by hand or by an integration) and the author's language; its
"Mark done" button sends ``POST /v1/notices/{id}/done``, and "Copy" puts the message on the clipboard.
"""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session
from feedback_router.loopback import notices
from feedback_router.loopback.models import NoticeStatus
from feedback_router.web.pages import Viewer, manager, render

router = APIRouter(include_in_schema=False)

NOTICES_PAGE = 200
STATES = {"open": notices.NOT_SENT, "done": (NoticeStatus.sent,), "all": None}
CHANNELS = {
    "manual": (notices.Channel.manual,),
    "automatic": (notices.Channel.discourse, notices.Channel.slack, notices.Channel.email),
    "": None,
}


@router.get("/notices", response_class=HTMLResponse)
def notices_page(
    request: Request,
    state: str = "open",
    channel: str = "",
    language: str = "",
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """Open notices by default, oldest first (a to-do list); unknown filter values are no filter."""
    state = state if state in STATES else "all"
    channel = channel if channel in CHANNELS else ""
    languages = notices.languages(session=session)
    language = language if language in languages else ""
    found, _ = notices.list_page(
        session=session,
        statuses=STATES[state],
        channels=CHANNELS[channel],
        language=language or None,
        limit=NOTICES_PAGE,
        cursor=None,
    )
    return render(
        request,
        "notices.html",
        viewer,
        notices=found,
        filters={"state": state, "channel": channel, "language": language},
        states=list(STATES),
        channels=[c for c in CHANNELS if c],
        languages=languages,
        limit=NOTICES_PAGE,
    )
