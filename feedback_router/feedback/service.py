"""Capture and read feedback. Capture never runs a model: it stores the item and its job."""

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import insert, or_, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from classifiers.teaching import teaching_order
from feedback_router.errors import InvalidInput, NotFound
from feedback_router.feedback.models import Feedback, FeedbackStatus, ProcessingJob
from feedback_router.feedback.schemas import (
    Author,
    FeedbackCreate,
    FeedbackFilter,
    FeedbackRead,
    TicketSummary,
)
from feedback_router.routing.rules import TRIAGE, RouteExplanation
from feedback_router.schemas import MAX_ID
from feedback_router.tickets.models import Ticket

log = logging.getLogger(__name__)


def _find_existing(
    session: Session, feedback_in: FeedbackCreate, idempotency_key: str | None
) -> Feedback | None:
    if idempotency_key:
        found = session.scalar(select(Feedback).where(Feedback.idempotency_key == idempotency_key))
        if found is not None:
            return found
    if feedback_in.external_id:
        return session.scalar(
            select(Feedback).where(
                Feedback.source == feedback_in.source.value, Feedback.external_id == feedback_in.external_id
            )
        )
    return None


def _row(
    feedback_in: FeedbackCreate, idempotency_key: str | None, forwarded_by: str | None
) -> dict[str, Any]:
    """The columns of a new item, by attribute name."""
    author = feedback_in.author
    return {
        "text": feedback_in.text,
        "source": feedback_in.source.value,
        "author_handle": author.handle if author else None,
        "author_display_name": author.display_name if author else None,
        "author_email": author.email if author else None,
        "url": str(feedback_in.url) if feedback_in.url else None,
        "external_id": feedback_in.external_id,
        "idempotency_key": idempotency_key,
        "created_at": feedback_in.created_at,
        "language": feedback_in.language.lower() if feedback_in.language else None,
        "meta": feedback_in.metadata,
        "forwarded_by": forwarded_by,
        "status": FeedbackStatus.received,
    }


def create(
    *,
    session: Session,
    feedback_in: FeedbackCreate,
    idempotency_key: str | None = None,
    forwarded_by: str | None = None,
) -> tuple[Feedback, bool]:
    """Store an item and its processing job in the caller's transaction.

    ``forwarded_by`` names who sent it in for its author (a user, a key, a Slack member). Returns
    the item and whether it is new; a repeat of (source, external_id) or of the
    idempotency key returns the stored item instead of a second row. Raises InvalidInput where the
    database refuses a value; the savepoint keeps the rest of the caller's transaction (a batch's
    other items).
    """
    existing = _find_existing(session, feedback_in, idempotency_key)
    if existing is not None:
        return existing, False
    item = Feedback(**_row(feedback_in, idempotency_key, forwarded_by))
    try:
        # A savepoint, so that losing a race to a concurrent duplicate keeps the rest of a batch.
        with session.begin_nested():
            session.add(item)
            session.flush()
            session.add(ProcessingJob(feedback_id=item.id))
            session.flush()
    except IntegrityError:
        existing = _find_existing(session, feedback_in, idempotency_key)
        if existing is None:
            raise
        return existing, False
    except DataError as exc:  # a value the schema let through but this database cannot hold
        log.warning("feedback refused by the database: %s", exc.orig)
        raise InvalidInput("the database cannot store this item: a value is out of its range") from None
    log.debug("feedback accepted", extra={"feedback_id": item.id})
    return item, True


@dataclass(frozen=True)
class Capture:
    """One item as a capture request brings it: the body, its idempotency key and who sent it in."""

    feedback_in: FeedbackCreate
    idempotency_key: str | None = None
    forwarded_by: str | None = None

    def identities(self) -> list[tuple[str, ...]]:
        """What makes a repeat of it, in the order ``create`` looks: the key, then (source, external id)."""
        found: list[tuple[str, ...]] = []
        if self.idempotency_key:
            found.append(("key", self.idempotency_key))
        if self.feedback_in.external_id:
            found.append(("external", self.feedback_in.source.value, self.feedback_in.external_id))
        return found


def create_many(*, session: Session, captures: Sequence[Capture]) -> list[tuple[int, str, bool]]:
    """Store many captures in the caller's transaction: as ``create``, one at a time, would store them.

    Two lookups and one multi-row insert each for items and jobs (Core statements, not the ORM's unit
    of work, which costs several times as much per row). A repeat of a stored item, or of an earlier
    capture in ``captures``, gets that item. Returns (id, status, created) per capture, in order.
    Raises IntegrityError where a concurrent transaction stored one of the keys first, and DataError
    where the database refuses a value: the caller then stores the captures one by one.
    """
    keys = {c.idempotency_key for c in captures if c.idempotency_key}
    external_ids = {c.feedback_in.external_id for c in captures if c.feedback_in.external_id}
    known: dict[tuple[str, ...], tuple[int, str]] = {}
    if keys:
        by_key = select(Feedback.id, Feedback.status, Feedback.idempotency_key)
        for item_id, status, key in session.execute(by_key.where(Feedback.idempotency_key.in_(keys))):
            known["key", str(key)] = (item_id, status)
    if external_ids:
        by_external = select(Feedback.id, Feedback.status, Feedback.source, Feedback.external_id)
        for item_id, status, source, external_id in session.execute(
            by_external.where(Feedback.external_id.in_(external_ids))
        ):
            known["external", source, str(external_id)] = (item_id, status)
    rows: list[dict[str, Any]] = []
    new_row: dict[tuple[str, ...], int] = {}  # identity -> index in rows, for repeats within the group
    plan: list[tuple[int, str] | int] = []  # per capture: a stored item, or the index of its new row
    for capture in captures:
        identities = capture.identities()
        found = next((known.get(i, new_row.get(i)) for i in identities if i in known or i in new_row), None)
        if found is None:
            found = len(rows)
            rows.append(_row(capture.feedback_in, capture.idempotency_key, capture.forwarded_by))
            new_row.update(dict.fromkeys(identities, found))
        plan.append(found)
    ids: list[int] = []
    if rows:
        ids = list(
            session.scalars(insert(Feedback).returning(Feedback.id, sort_by_parameter_order=True), rows)
        )
        session.execute(insert(ProcessingJob), [{"feedback_id": item_id} for item_id in ids])
    created: set[int] = set()
    results: list[tuple[int, str, bool]] = []
    for step in plan:
        if isinstance(step, int):  # the first capture of a new row creates it, its repeats find it
            results.append((ids[step], FeedbackStatus.received, step not in created))
            created.add(step)
        else:
            results.append((*step, False))
    return results


def get(*, session: Session, feedback_id: int) -> Feedback:
    item = session.get(Feedback, feedback_id)
    if item is None:
        raise NotFound(f"feedback {feedback_id} does not exist")
    return item


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        last_id = int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this API returned") from exc
    if not 0 < last_id <= MAX_ID:  # an id no row can have: not one of ours
        raise InvalidInput("cursor is not one this API returned")
    return last_id


def list_page(
    *,
    session: Session,
    filters: FeedbackFilter | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Sequence[Feedback], str | None]:
    """Newest first; the cursor is the last id seen."""
    query = select(Feedback).order_by(Feedback.id.desc()).limit(limit + 1)
    given = filters.model_dump(exclude_none=True) if filters else {}
    since = given.pop("changed_since", None)
    for column, value in given.items():
        query = query.where(getattr(Feedback, column) == value)
    if since is not None:
        # An erased item counts as changed: a client that keeps copies hears that it must forget them.
        query = query.where(
            or_(Feedback.received_at > since, Feedback.processed_at > since, Feedback.erased_at > since)
        )
    if cursor:
        last = decode_cursor(cursor)
        query = query.where(Feedback.id < last)
    rows = session.scalars(query).all()
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


# Typicality and near-duplicates are weighed among this many of the least certain items; the rest
# follow by margin, so that a long inbox costs no more than this many items' embeddings.
TEACHING_WINDOW = 1000


def triage_page(
    *, session: Session, limit: int = 50, cursor: str | None = None
) -> tuple[Sequence[Feedback], str | None]:
    """Items waiting in triage, the one whose correction teaches the model most first
    (``classifiers.teaching``): typical items, the less certain first, near-duplicates of items
    above later; items without kind scores last, oldest first. The cursor is a position in that
    order, so an item routed meanwhile moves the rest up by one."""
    start = decode_cursor(cursor) if cursor else 0
    rows = session.execute(
        select(Feedback.id, Feedback.kind_scores).where(Feedback.team == TRIAGE).order_by(Feedback.id)
    ).all()
    scored = [(item_id, scores) for item_id, scores in rows if scores]
    ranked = _teaching_ranked(session, scored) + [item_id for item_id, scores in rows if not scores]
    page = ranked[start : start + limit]
    items = {item.id: item for item in session.scalars(select(Feedback).where(Feedback.id.in_(page)))}
    next_cursor = encode_cursor(start + limit) if start + limit < len(ranked) else None
    return [items[i] for i in page], next_cursor


def _teaching_ranked(session: Session, scored: list[tuple[int, dict[str, float]]]) -> list[int]:
    if not scored:
        return []
    classes = sorted({name for _, scores in scored for name in scores})
    matrix = np.array([[scores.get(name, 0.0) for name in classes] for _, scores in scored])
    by_margin = teaching_order(matrix)
    window = by_margin[:TEACHING_WINDOW]
    ids = [scored[i][0] for i in window]
    stored = dict(session.execute(select(Feedback.id, Feedback.embedding).where(Feedback.id.in_(ids))).all())
    found = [np.frombuffer(vector, dtype=np.float32) if (vector := stored[i]) else None for i in ids]
    size = max((len(v) for v in found if v is not None), default=1)
    # without an embedding (or with another model's) an item is similar to nothing
    vectors = np.array([v if v is not None and len(v) == size else np.zeros(size) for v in found])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)
    order = [window[i] for i in teaching_order(matrix[window], vectors)] + by_margin[TEACHING_WINDOW:]
    return [scored[i][0] for i in order]


def tickets_by_feedback(session: Session, ids: Sequence[int]) -> dict[int, list[Ticket]]:
    found: dict[int, list[Ticket]] = {i: [] for i in ids}
    if ids:
        for ticket in session.scalars(select(Ticket).where(Ticket.feedback_id.in_(ids)).order_by(Ticket.id)):
            assert ticket.feedback_id is not None  # the query's condition
            found[ticket.feedback_id].append(ticket)
    return found


def to_read(item: Feedback, tickets: Sequence[Ticket], parts: list[int]) -> FeedbackRead:
    author = (
        Author(handle=item.author_handle, display_name=item.author_display_name, email=item.author_email)
        if item.author_handle
        else None
    )
    return FeedbackRead(
        id=item.id,
        text=item.text,
        source=item.source,
        author=author,
        url=item.url,
        external_id=item.external_id,
        created_at=item.created_at,
        received_at=item.received_at,
        language=item.language,
        metadata=item.meta or {},
        forwarded_by=item.forwarded_by,
        status=item.status,
        failure_reason=item.failure_reason,
        kind=item.kind,
        kind_confidence=item.kind_confidence,
        kind_scores=item.kind_scores,
        kind_evidence=item.kind_evidence,
        model_version=item.model_version,
        sentiment=item.sentiment,
        sentiment_confidence=item.sentiment_confidence,
        abuse=item.abuse,
        abuse_confidence=item.abuse_confidence,
        urgency=item.urgency,
        urgency_signals=item.urgency_signals,
        language_confidence=item.language_confidence,
        topic=item.topic,
        topic_confidence=item.topic_confidence,
        evidence=item.evidence,
        corrected=item.corrected,
        parent_id=item.parent_id,
        span=(item.span_start, item.span_end)
        if item.span_start is not None and item.span_end is not None
        else None,
        parts=parts,
        team=item.team,
        route_rule=item.route_rule,
        route_reason=item.route_reason,
        route_explanation=(
            RouteExplanation.model_validate(item.route_explanation) if item.route_explanation else None
        ),
        processed_at=item.processed_at,
        cluster_id=item.cluster_id,
        cluster_similarity=item.cluster_similarity,
        tickets=[TicketSummary.model_validate(t) for t in tickets],
    )


def parts_of(session: Session, feedback_id: int) -> Sequence[Feedback]:
    """A mixed message's parts, in order; none for a message that was not split."""
    return session.scalars(
        select(Feedback).where(Feedback.parent_id == feedback_id).order_by(Feedback.id)
    ).all()


def read_many(session: Session, items: Sequence[Feedback]) -> list[FeedbackRead]:
    ids = [i.id for i in items]
    tickets = tickets_by_feedback(session, ids)
    parts: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for part_id, parent_id in session.execute(
            select(Feedback.id, Feedback.parent_id).where(Feedback.parent_id.in_(ids)).order_by(Feedback.id)
        ):
            assert parent_id is not None  # the query's condition
            parts[parent_id].append(part_id)
    return [to_read(i, tickets[i.id], parts[i.id]) for i in items]
