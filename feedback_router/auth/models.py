"""API keys, stored as hashes only; user accounts and their web sessions; failed sign-in attempts."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from feedback_router.db import Base, UTCDateTime, utcnow


class Role(StrEnum):
    forwarder = "forwarder"
    manager = "manager"
    admin = "admin"


ROLE_RANK = {Role.forwarder: 1, Role.manager: 2, Role.admin: 3}


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def allows(self, role: Role) -> bool:
        """Whether the key may act as ``role`` (admin > manager > forwarder)."""
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[role]


class User(Base):
    """A person who signs in with a password. Acts through a key of their own, whose secret nobody
    knows: role, revocation and every "done by" column stay the key's, for people and programs alike."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token stored here as a hash."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuthAttempt(Base):
    """A sign-in or API key attempt that counts as failed (see ``auth.attempts``): one from ``address``,
    for ``account`` when it named one. A sign-in that succeeds deletes its row again."""

    __tablename__ = "auth_attempts"
    __table_args__ = (
        Index("ix_auth_attempts_address_at", "address", "at"),
        Index("ix_auth_attempts_account_at", "account", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    account: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
