"""The web app's own routes: sign in and out, language, and the inbox. Other pages have a module each."""

import logging
import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.labels import KINDS, SENTIMENTS
from feedback_router.auth import attempts, users
from feedback_router.auth import service as keys
from feedback_router.auth.deps import SESSION_COOKIE, browser_session, get_session
from feedback_router.config import get_settings
from feedback_router.db import utcnow
from feedback_router.errors import TooManyAttempts
from feedback_router.feedback import service
from feedback_router.feedback.models import Feedback, Source
from feedback_router.feedback.schemas import FeedbackFilter
from feedback_router.i18n import LANGUAGES
from feedback_router.routing import live
from feedback_router.schemas import Id, Moment
from feedback_router.web.pages import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    Viewer,
    form_csrf_ok,
    manager,
    new_login_csrf,
    render,
    safe_next,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

INBOX_PAGE = 100
FILTERS = ("kind", "team", "source", "language", "sentiment", "topic")


def _secure(request: Request) -> bool:
    # Behind a TLS proxy the app sees http; the public URL says how people reach it.
    return request.url.scheme == "https" or str(get_settings().public_url).startswith("https")


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/inbox", error: str | None = None) -> HTMLResponse:
    return _login_form(request, next, error)


def _login_form(
    request: Request, next: str, error: str | None, status: int = 200, retry_after: int | None = None
) -> HTMLResponse:
    """The sign-in page, with a fresh token of its own against forged sign-ins."""
    token = new_login_csrf()
    response = render(
        request,
        "login.html",
        None,
        status=status,
        next=safe_next(next),
        error=error,
        login_csrf=token,
        wait_minutes=math.ceil(retry_after / 60) if retry_after else None,
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.post("/login")
def login(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/inbox",
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """Sign in with a username and password, or with an API key; the cookie holds a session token.

    A wrong one answers 401, and too many lately (see ``auth.attempts``) 429, each with the form again.
    """
    if not form_csrf_ok(csrf, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_form(request, next, "login_expired")
    address = attempts.address_of(request)
    account = None if key.strip() else username.strip()
    try:
        attempt = attempts.count_failure(
            session=session, settings=get_settings(), address=address, account=account
        )
    except TooManyAttempts as exc:
        return _login_form(request, next, "login_locked", status=429, retry_after=exc.retry_after)
    if key.strip():
        api_key = keys.authenticate(session=session, secret=key.strip())
    else:
        api_key = users.authenticate(session=session, username=username, password=password)
    if api_key is None:
        log.warning("failed sign-in from %s %s", address, f"as {account!r}" if account else "with an API key")
        return _login_form(request, next, "login_failed", status=401)
    attempts.forget(session=session, attempt_id=attempt)
    hours = get_settings().session_hours
    token, _ = users.start_session(session=session, key=api_key, hours=hours)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    found = browser_session(request, session)
    if found is not None and form_csrf_ok(csrf, found[0].csrf_token):
        users.end_session(session=session, token=request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The OpenAPI documentation: Swagger UI from static/swagger-ui, not from a CDN."""
    return render(request, "docs.html", None)


@router.get("/lang/{language}")
def choose_language(request: Request, language: str, next: str = "/inbox") -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", secure=_secure(request)
        )
    return response


def _choices(session: Session) -> dict[str, list[str]]:
    """The values each inbox filter offers."""
    found = {
        column: sorted(v for v in session.scalars(select(getattr(Feedback, column)).distinct()) if v)
        for column in ("language", "topic")
    }
    return {
        "kind": list(KINDS),
        "team": sorted(live.current(get_settings().routing_file).teams) + ["triage"],
        "source": [s.value for s in Source],
        "language": found["language"],
        "sentiment": list(SENTIMENTS),
        "topic": found["topic"],
    }


def _filters(request: Request) -> FeedbackFilter:
    return FeedbackFilter.model_validate({name: request.query_params.get(name) or None for name in FILTERS})


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    id: Id | None = None,
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """New feedback as it arrives (the page asks /inbox/rows every few seconds), with filters."""
    filters = _filters(request)
    if id is not None:
        items = [service.get(session=session, feedback_id=id)]
    else:
        items = list(service.list_page(session=session, filters=filters, limit=INBOX_PAGE)[0])
    return render(
        request,
        "inbox.html",
        viewer,
        items=service.read_many(session, items),
        filters=filters.model_dump(exclude_none=True),
        choices=_choices(session),
        single=id,
        now=utcnow().isoformat(),
    )


@router.get("/inbox/rows", response_class=HTMLResponse)
def inbox_rows(
    request: Request,
    changed_since: Annotated[Moment, Query()],
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """The inbox rows that arrived or changed since a moment: the page puts them in place."""
    filters = _filters(request).model_copy(update={"changed_since": changed_since})
    now = utcnow()  # taken first, so a change made while this runs shows in the next answer too
    items, _ = service.list_page(session=session, filters=filters, limit=INBOX_PAGE)
    response = render(request, "inbox_rows.html", viewer, items=service.read_many(session, list(items)))
    response.headers["X-Changed-Until"] = now.isoformat()
    return response
