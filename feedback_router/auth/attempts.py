"""Failed sign-ins and API key attempts, limited per client address and per account.

After ``AUTH_MAX_FAILURES`` failures in ``AUTH_WINDOW_SECONDS`` from one address, or for one account
from any address, further attempts answer 429 with ``Retry-After`` until the oldest of those failures
leaves the window. The count lives in the database, so every API process shares it.

Attempts on one address or account take turns at counting, and a password attempt is written and
committed *before* the password is checked, so of concurrent guesses the first ones up to the limit
get through and no more; a right password deletes its row again. Attempts
refused by the limit are not kept: a lock ends when the window has passed since the failures behind
it, and guessing at a locked account does not lengthen it. A success clears no earlier failure, so an
attacker cannot reset an address's count by signing in to an account of their own.
"""

import logging
import math
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from feedback_router.auth.models import AuthAttempt
from feedback_router.config import Settings
from feedback_router.db import take_turns, utcnow
from feedback_router.errors import TooManyAttempts

log = logging.getLogger(__name__)


def address_of(request: Request) -> str:
    """The client's address (behind a proxy, uvicorn takes it from X-Forwarded-For when the proxy is
    trusted: ``FORWARDED_ALLOW_IPS``), cut to the column's 64 characters: that header is free text."""
    return request.client.host[:64] if request.client else "unknown"


def count_failure(*, session: Session, settings: Settings, address: str, account: str | None = None) -> int:
    """Count a failure now, committed at once; returns its id, for :func:`forget` when the attempt succeeds.

    Raises:
        TooManyAttempts: the address or the account had the limit of failures in the window already
            (this attempt is then not counted).
    """
    now = utcnow()
    since = now - timedelta(seconds=settings.auth_window_seconds)
    account = account[:100] if account else None
    take_turns(session, "auth:address:" + address, *(["auth:account:" + account] if account else []))
    session.execute(delete(AuthAttempt).where(AuthAttempt.at <= since))  # the window has passed them
    scopes = [AuthAttempt.address == address] + ([AuthAttempt.account == account] if account else [])
    oldest = [_oldest_over_limit(session, scope, since, settings) for scope in scopes]
    locked = [at for at in oldest if at is not None]
    if locked:
        session.commit()
        wait = max(locked) + timedelta(seconds=settings.auth_window_seconds) - now
        log.warning("sign-in refused: too many failures from %s or for account %r", address, account)
        raise TooManyAttempts(max(1, math.ceil(wait.total_seconds())))
    row = AuthAttempt(address=address, account=account, at=now)
    session.add(row)
    session.flush()
    attempt_id = row.id
    session.commit()  # visible to the next attempt before any password is checked
    return attempt_id


def forget(*, session: Session, attempt_id: int) -> None:
    """The attempt succeeded: it was no failure."""
    session.execute(delete(AuthAttempt).where(AuthAttempt.id == attempt_id))


def _oldest_over_limit(
    session: Session, scope: object, since: datetime, settings: Settings
) -> datetime | None:
    """When the scope holds the limit of failures in the window: the time of the one whose expiry
    brings it under the limit again; else None."""
    return session.scalar(
        select(AuthAttempt.at)
        .where(scope, AuthAttempt.at > since)  # type: ignore[arg-type]
        .order_by(AuthAttempt.at.desc())
        .offset(settings.auth_max_failures - 1)
        .limit(1)
    )
