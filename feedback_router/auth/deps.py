"""FastAPI dependencies: a database session and the caller's key.

A caller is a Bearer API key, or a signed-in browser's session cookie. A browser's writes must also
carry the session's CSRF token in ``X-CSRF-Token`` (the web app's forms send it), so another site
cannot make a signed-in browser act. A wrong key counts as a failed attempt of the client's address
(``auth.attempts``); a right one is checked first and never waits for the limit, so a broken client
behind the same address as working ones does not lock them out. A Bearer key found valid a moment ago
is taken without the database (``service.recently_verified``).
"""

import hmac
import logging
from collections.abc import Awaitable, Callable, Iterator

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from feedback_router.auth import attempts, service, users
from feedback_router.auth.models import ApiKey, Role, WebSession
from feedback_router.config import get_settings
from feedback_router.db import session_scope

SESSION_COOKIE = "fr_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Declare both ways in for the OpenAPI schema; caller() reads them itself, with its own 401.
BEARER = HTTPBearer(auto_error=False, description="An API key: 'Authorization: Bearer fr_...'")
COOKIE = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="A signed-in browser's session (its writes need X-CSRF-Token)",
)

log = logging.getLogger(__name__)


def get_session() -> Iterator[Session]:
    """The request's unit of work. Declare it as ``Depends(get_session, scope="function")``: committed
    before the response is sent. FastAPI's default scope commits after the client has its answer, so a
    202 could precede a failed commit, and a browser following the sign-in redirect could come back
    before its session row is there (sent back to sign in)."""
    with session_scope(get_settings().database_url) as session:
        yield session


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def browser_session(request: Request, session: Session) -> tuple[WebSession, ApiKey] | None:
    token = request.cookies.get(SESSION_COOKIE)
    return users.find_session(session=session, token=token) if token else None


def caller(request: Request, session: Session) -> ApiKey:
    """The key behind the request, or 401; browsers' writes without the CSRF token get 403."""
    secret = _presented_key(request)
    if secret is not None:
        key = service.authenticate(session=session, secret=secret)
        if key is None:
            address = attempts.address_of(request)
            attempts.count_failure(session=session, settings=get_settings(), address=address)
            log.warning("wrong API key from %s on %s %s", address, request.method, request.url.path)
    else:
        found = browser_session(request, session)
        key = found[1] if found else None
        if found and request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), found[0].csrf_token.encode()):
                raise HTTPException(status_code=403, detail="missing or wrong CSRF token: reload the page")
    if key is None:
        raise HTTPException(
            status_code=401,
            detail="missing or invalid API key: send 'Authorization: Bearer <key>' or sign in",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return key


def _caller_from_database(request: Request) -> ApiKey:
    with session_scope(get_settings().database_url) as session:
        return caller(request, session)


def require(role: Role) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that admits keys of ``role`` or a higher one (admin > manager > forwarder).

    Async, so that a recently verified key costs no hop to a thread (the database is asked in one)."""

    async def check(
        request: Request, _bearer: object = Depends(BEARER), _cookie: object = Depends(COOKIE)
    ) -> ApiKey:
        secret = _presented_key(request)
        key = service.recently_verified(secret) if secret is not None else None
        if key is None:
            key = await run_in_threadpool(_caller_from_database, request)
        if not key.allows(role):
            raise HTTPException(
                status_code=403, detail=f"this needs the {role.value} role; the key has {key.role}"
            )
        return key

    return check
