"""A plain HTML page at / listing recent feedback, behind a manager key kept in a cookie."""

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from feedback_router.auth import service as keys
from feedback_router.auth.deps import SESSION_COOKIE, get_session, require
from feedback_router.auth.models import Role
from feedback_router.feedback import service

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>feedback-router</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}}
.muted{{color:#666}}</style></head><body><h1>feedback-router</h1>{body}</body></html>"""

LOGIN = """<p>Sign in with a manager or admin API key.</p>
<form method="post" action="/login"><label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="off" required>
<button>Sign in</button></form>{error}"""


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: Session = Depends(get_session)) -> HTMLResponse:
    try:
        require(Role.manager)(request, session)
    except HTTPException as exc:
        error = (
            f'<p role="alert">{escape(str(exc.detail))}</p>' if request.cookies.get(SESSION_COOKIE) else ""
        )
        return HTMLResponse(PAGE.format(body=LOGIN.format(error=error)), status_code=exc.status_code)
    items, _ = service.list_page(session=session, limit=100)
    rows = []
    for item in service.read_many(session, items):
        ticket = ", ".join(f"#{t.id} {t.team}" for t in item.tickets) or "—"
        kind = f"{item.kind} ({item.kind_confidence:.2f})" if item.kind else item.status
        rows.append(
            f"<tr><td>{item.id}</td><td>{escape(item.text[:300])}</td><td>{escape(item.source)}</td>"
            f"<td>{escape(kind)}</td><td>{escape(item.team or '—')}</td><td>{escape(ticket)}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>#</th><th>Feedback</th><th>Source</th><th>Kind</th><th>Team</th>"
        f"<th>Ticket</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="muted">No feedback yet. POST some to /v1/feedback '
        '(see <a href="/docs">/docs</a>).</p>'
    )
    return HTMLResponse(PAGE.format(body=table))


@router.post("/login")
def login(
    request: Request, key: Annotated[str, Form()], session: Session = Depends(get_session)
) -> RedirectResponse:
    response = RedirectResponse("/", status_code=303)
    valid = keys.authenticate(session=session, secret=key.strip()) is not None
    response.set_cookie(
        SESSION_COOKIE,
        key.strip() if valid else "invalid",  # "invalid" makes the page say why sign-in failed
        max_age=8 * 3600 if valid else 60,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response
