"""One-click forwarding: the page that offers the bookmarklet, and the window it opens to send."""

import re
from functools import lru_cache
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from classifiers.labels import KINDS
from feedback_router.auth.deps import get_session
from feedback_router.auth.models import Role
from feedback_router.web.pages import STATIC, Viewer, forwarder, language_of, render, signed_in, translator

router = APIRouter(include_in_schema=False)


@lru_cache
def _bookmarklet_source() -> str:
    """static/bookmarklet.js on one line: full-line comments dropped, indentation joined."""
    lines = (line.strip() for line in (STATIC / "bookmarklet.js").read_text(encoding="utf-8").splitlines())
    return " ".join(line for line in lines if line and not line.startswith("//"))


def bookmarklet(service_url: str) -> str:
    """The ``javascript:`` address to drag to the bookmarks bar, pointed at ``service_url``."""
    code = _bookmarklet_source().replace("__SERVICE__", service_url.rstrip("/"))
    return "javascript:" + quote(re.sub(r"\s+", " ", code), safe="(){}[];:,.=!&|?'\"+-*/<>^$@")


@router.get("/forward", response_class=HTMLResponse)
def forward_page(request: Request, viewer: Viewer = Depends(forwarder)) -> HTMLResponse:
    return render(request, "forward.html", viewer, bookmarklet=bookmarklet(str(request.base_url)))


@router.get("/forward/send", response_class=HTMLResponse)
def send_window(request: Request, session: Session = Depends(get_session, scope="function")) -> HTMLResponse:
    """The bookmarklet's window. Signed out, it keeps the forwarded text in the tab and asks to sign in."""
    viewer = signed_in(request, session, Role.forwarder)
    t = translator(language_of(request))
    return render(request, "forward_send.html", viewer, bare=True, kinds={kind: t(kind) for kind in KINDS})
