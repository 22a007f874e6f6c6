"""What every web page shares: templates, the signed-in user, language and CSRF.

Pages are rendered here on the server with Jinja2 (autoescaped); their buttons and forms act
through the JSON API (``static/app.js`` sends the session's CSRF token), so the web app has no
second copy of any action. Nothing is loaded from outside the service.
"""

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from feedback_router.auth.deps import browser_session, get_session
from feedback_router.auth.models import ApiKey, Role, WebSession
from feedback_router.clusters import titles
from feedback_router.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

HERE = Path(__file__).parent
STATIC = HERE / "static"
LANGUAGE_COOKIE = "fr_lang"
LOGIN_CSRF_COOKIE = "fr_login_csrf"


# Pages run only their own scripts and styles: no inline code, nothing from elsewhere, no framing.
# They show personal data to one signed-in person: no cache, the browser's or a proxy's, keeps them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


@dataclass(frozen=True)
class Viewer:
    """The signed-in person or key looking at a page."""

    key: ApiKey
    session: WebSession

    @property
    def name(self) -> str:
        return self.key.name.removeprefix("user:")

    @property
    def is_admin(self) -> bool:
        return self.key.role == Role.admin


def language_of(request: Request) -> str:
    """The language chosen in the interface, else the browser's first supported one, else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def translator(language: str) -> Callable[..., str]:
    """``t(key, **params)`` for a page's template and view: ``i18n.t`` in the page's language."""
    return partial(t, language)


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda value: "—" if value is None else f"{value * 100:.0f}%"
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "—"
    env.globals["languages"] = LANGUAGES
    env.globals["cluster_title"] = titles.title_for  # a cluster's title in the reader's language
    env.globals["cluster_title_language"] = titles.title_language
    return env


def render(
    request: Request, template: str, viewer: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    language = language_of(request)
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            viewer=viewer,
            lang=language,
            t=translator(language),
            csrf=viewer.session.csrf_token if viewer else "",
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def signed_in(request: Request, session: Session, role: Role) -> Viewer | None:
    """The browser's signed-in viewer when their key may act as ``role``, else None."""
    found = browser_session(request, session)
    if found is None or not found[1].allows(role):
        return None
    return Viewer(key=found[1], session=found[0])


def _viewer(request: Request, session: Session, role: Role) -> Viewer:
    viewer = signed_in(request, session, role)
    if viewer is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    return viewer


def manager(request: Request, session: Session = Depends(get_session, scope="function")) -> Viewer:
    """A page for managers and admins; anyone else is sent to sign in."""
    return _viewer(request, session, Role.manager)


def forwarder(request: Request, session: Session = Depends(get_session, scope="function")) -> Viewer:
    """A page for anyone signed in, forwarders included (the bookmarklet's window)."""
    return _viewer(request, session, Role.forwarder)


def sign_in_path(next_path: str) -> str:
    return "/login?next=" + quote(safe_next(next_path), safe="")


def safe_next(next_path: str | None) -> str:
    """Only paths on this site: an open redirect would let a link send people elsewhere."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        return "/inbox"
    return next_path


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def form_csrf_ok(sent: str | None, expected: str | None) -> bool:
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), expected.encode())  # type: ignore[union-attr]
