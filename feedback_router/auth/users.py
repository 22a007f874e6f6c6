"""User accounts (argon2id password hashes) and the web sessions they sign in to."""

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from feedback_router.auth import service as keys
from feedback_router.auth.models import ApiKey, Role, User, WebSession
from feedback_router.db import utcnow
from feedback_router.errors import Conflict, InvalidInput, NotFound

MIN_PASSWORD = 10
# argon2id with RFC 9106's second recommended profile (64 MiB, 3 passes); its parameters are stored
# in each hash, so raising them later upgrades accounts as they sign in.
HASHER = PasswordHasher()
# Hashes before argon2id: scrypt at fixed parameters, "scrypt$<salt>$<digest>"; upgraded on sign-in.
SCRYPT_PREFIX = "scrypt$"
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def check_password(password: str, stored: str) -> bool:
    if stored.startswith(SCRYPT_PREFIX):
        _, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32, **SCRYPT)
        return hmac.compare_digest(candidate, base64.b64decode(digest))
    try:
        return HASHER.verify(stored, password)
    except VerifyMismatchError:
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash is scrypt, or argon2id with other parameters than today's."""
    return stored.startswith(SCRYPT_PREFIX) or HASHER.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return hash_password("not a password of anyone")


def create(*, session: Session, username: str, password: str, role: Role) -> User:
    """Make an account with its own key (named ``user:<username>``, secret thrown away)."""
    username = username.strip()
    if not username or len(username) > 100:
        raise InvalidInput("a username needs 1 to 100 characters")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username} exists already")
    key, _ = keys.create(session=session, role=role, name=f"user:{username}")
    user = User(username=username, password_hash=hash_password(password), api_key_id=key.id)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, username: str, password: str) -> ApiKey | None:
    """The user's key when the password is right and the account is not disabled; a right password
    stored under an older hash is hashed again with today's (the caller commits)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password(password, _dummy_hash())  # same time whether or not the user exists
        return None
    if not check_password(password, user.password_hash):
        return None
    if needs_rehash(user.password_hash):  # the password is known only now: upgrade its hash
        user.password_hash = hash_password(password)
    key = session.get(ApiKey, user.api_key_id)
    return key if key is not None and key.revoked_at is None else None


def disable(*, session: Session, username: str) -> None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username} does not exist")
    keys.revoke(session=session, key_id=user.api_key_id)
    session.execute(delete(WebSession).where(WebSession.api_key_id == user.api_key_id))


def start_session(*, session: Session, key: ApiKey, hours: float) -> tuple[str, WebSession]:
    """A new session for ``key``; returns the cookie's token (stored only as a hash) and the row."""
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=keys.hash_key(token),
        csrf_token=secrets.token_urlsafe(32),
        api_key_id=key.id,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(*, session: Session, token: str) -> tuple[WebSession, ApiKey] | None:
    """The live session of a cookie's token and its key; None when expired, ended or revoked."""
    found = session.execute(
        select(WebSession, ApiKey)
        .join(ApiKey, ApiKey.id == WebSession.api_key_id)
        .where(
            WebSession.token_hash == keys.hash_key(token),
            WebSession.expires_at > utcnow(),
            ApiKey.revoked_at.is_(None),
        )
    ).first()
    return (found[0], found[1]) if found else None


def end_session(*, session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == keys.hash_key(token)))
