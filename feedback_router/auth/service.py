"""API keys: random secrets shown once, stored as SHA-256 hashes.

A key found valid is remembered for ``KEY_CACHE_SECONDS`` (by its hash, never the secret), so that
capture at hundreds of requests a second does not read the key's row for each request. A key revoked
in this process stops working at once; one revoked by another process (the CLI, another API
process) stops working within ``KEY_CACHE_SECONDS``.
"""

import hashlib
import secrets
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_router.auth.models import ApiKey, Role
from feedback_router.db import utcnow
from feedback_router.errors import NotFound
from feedback_router.schemas import MAX_ID

PREFIX = "fr_"
KEY_CACHE_SECONDS = 5.0
_verified: dict[str, tuple[ApiKey, float]] = {}  # key hash -> its row (detached), valid until (monotonic)


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough; no salt or KDF needed.
    return hashlib.sha256(key.encode()).hexdigest()


def create(*, session: Session, role: Role, name: str) -> tuple[ApiKey, str]:
    """Make a key; returns the row and the secret, which is not stored and not shown again."""
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, prefix=secret[:10], key_hash=hash_key(secret), role=role.value)
    session.add(row)
    session.flush()
    return row, secret


def recently_verified(secret: str) -> ApiKey | None:
    """The key of ``secret`` if it was found valid in the last ``KEY_CACHE_SECONDS``; needs no database.

    The row is detached and shared between requests: read its columns, never change it."""
    found = _verified.get(hash_key(secret))
    if found is None or found[1] <= time.monotonic():
        return None
    return found[0]


def authenticate(*, session: Session, secret: str) -> ApiKey | None:
    key_hash = hash_key(secret)
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None)))
    if key is not None:
        # a copy in no session: a rollback of this one cannot expire what other requests read
        columns = {c.key: getattr(key, c.key) for c in ApiKey.__table__.columns}
        _verified[key_hash] = (ApiKey(**columns), time.monotonic() + KEY_CACHE_SECONDS)
    return key


def revoke(*, session: Session, key_id: int) -> None:
    row = session.get(ApiKey, key_id) if 0 < key_id <= MAX_ID else None  # the database refuses larger ids
    if row is None:
        raise NotFound(f"API key {key_id} does not exist")
    row.revoked_at = utcnow()
    _verified.pop(row.key_hash, None)


def count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ApiKey)) or 0
