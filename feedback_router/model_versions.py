"""Model versions: trained heads kept in the database, so that every worker loads the same."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from feedback_router.db import Base, UTCDateTime, utcnow


class ModelVersion(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    embedding_model: Mapped[str] = mapped_column(String(500))
    heads: Mapped[bytes] = mapped_column(LargeBinary)
    info: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def active_id(*, session: Session) -> int | None:
    """Cheap enough to ask before every batch: workers reload when it changes."""
    return session.scalar(select(ModelVersion.id).where(ModelVersion.active.is_(True)))


def get(*, session: Session, version_id: int) -> ModelVersion | None:
    return session.get(ModelVersion, version_id)


def activate_new(
    *, session: Session, version: str, embedding_model: str, heads: bytes, info: dict[str, object]
) -> ModelVersion:
    """Store a version and make it the active one, in the caller's transaction."""
    session.execute(update(ModelVersion).where(ModelVersion.active.is_(True)).values(active=False))
    row = ModelVersion(version=version, embedding_model=embedding_model, heads=heads, info=info, active=True)
    session.add(row)
    session.flush()
    return row
