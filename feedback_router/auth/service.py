"""API keys: random secrets shown once, stored as SHA-256 hashes."""

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback_router.auth.models import ApiKey, Role
from feedback_router.db import utcnow
from feedback_router.errors import NotFound
from feedback_router.schemas import MAX_ID

PREFIX = "fr_"


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


def authenticate(*, session: Session, secret: str) -> ApiKey | None:
    return session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(secret), ApiKey.revoked_at.is_(None))
    )


def revoke(*, session: Session, key_id: int) -> None:
    row = session.get(ApiKey, key_id) if 0 < key_id <= MAX_ID else None  # the database refuses larger ids
    if row is None:
        raise NotFound(f"API key {key_id} does not exist")
    row.revoked_at = utcnow()


def count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ApiKey)) or 0
