"""The digests pages: the list with a form to draft one, and one digest to preview, edit, approve,
publish and export. Every action goes through /v1/digests."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session
from feedback_router.auth.models import ApiKey
from feedback_router.config import get_settings
from feedback_router.digests import render as digest_render
from feedback_router.digests import service
from feedback_router.digests.models import DigestStatus
from feedback_router.digests.schemas import DigestSummary
from feedback_router.feedback.models import Feedback
from feedback_router.schemas import Id
from feedback_router.web.pages import Viewer, language_of, manager, render

router = APIRouter(include_in_schema=False)

LIST_LIMIT = 100
COMMUNITY_CHOICES = 50


def _who(session: Session, key_ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the keys (people: their username) that approved digests."""
    ids = {i for i in key_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(ids)))
    return {key_id: name.removeprefix("user:") for key_id, name in rows}


def _communities(session: Session) -> list[str]:
    """Communities the feedback names, offered when drafting."""
    community = Feedback.meta["community"].as_string()
    query = select(community).where(community.is_not(None)).distinct().limit(COMMUNITY_CHOICES)
    found = session.scalars(query)
    return sorted(c for c in found if c)


def _period(language: str, digest: DigestSummary) -> str:
    return digest_render.period_text(language, digest.period_start, digest.period_end)


@router.get("/digests", response_class=HTMLResponse)
def digests_page(
    request: Request,
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """Every digest, newest first, and the form that drafts a new one (default: last week)."""
    digests = [
        DigestSummary.model_validate(d) for d in service.list_digests(session=session, limit=LIST_LIMIT)
    ]
    language = language_of(request)
    today = datetime.now(UTC).date()
    return render(
        request,
        "digests.html",
        viewer,
        digests=digests,
        periods={d.id: _period(language, d) for d in digests},
        approvers=_who(session, (d.approved_by for d in digests)),
        communities=_communities(session),
        first_day=(today - service.DEFAULT_PERIOD).isoformat(),
        last_day=(today - timedelta(days=1)).isoformat(),
    )


@router.get("/digests/{digest_id}", response_class=HTMLResponse)
def digest_page(
    request: Request,
    digest_id: Id,
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """One digest: the preview (HTML the service renders from the Markdown, raw HTML off), the
    Markdown to edit while it is a draft, and the steps that apply to its status."""
    digest = service.read(service.get(session=session, digest_id=digest_id))
    return render(
        request,
        "digest.html",
        viewer,
        digest=digest,
        period=_period(language_of(request), digest),
        approver=_who(session, [digest.approved_by]).get(digest.approved_by or 0),
        statuses=DigestStatus,
        discourse=service.discourse_config(get_settings()) is not None,
    )
