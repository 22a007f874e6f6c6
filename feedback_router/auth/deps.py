"""FastAPI dependencies: a database session and the caller's role."""

from collections.abc import Callable, Iterator

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from feedback_router.auth import service
from feedback_router.auth.models import ROLE_RANK, ApiKey, Role
from feedback_router.config import get_settings
from feedback_router.db import session_scope

SESSION_COOKIE = "fr_key"


def get_session() -> Iterator[Session]:
    with session_scope(get_settings().database_url) as session:
        yield session


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def require(role: Role) -> Callable[..., ApiKey]:
    """A dependency that admits keys of ``role`` or a higher one (admin > manager > forwarder)."""

    def check(request: Request, session: Session = Depends(get_session)) -> ApiKey:
        secret = _presented_key(request) or request.cookies.get(SESSION_COOKIE)
        key = service.authenticate(session=session, secret=secret) if secret else None
        if key is None:
            raise HTTPException(
                status_code=401,
                detail="missing or invalid API key: send 'Authorization: Bearer <key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if ROLE_RANK[Role(key.role)] < ROLE_RANK[role]:
            raise HTTPException(
                status_code=403, detail=f"this needs the {role.value} role; the key has {key.role}"
            )
        return key

    return check
