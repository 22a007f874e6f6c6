"""/v1/feedback: capture and read."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import ApiKey, Role
from feedback_router.config import get_settings
from feedback_router.errors import FieldError, InvalidInput, field_messages
from feedback_router.feedback import labels, service
from feedback_router.feedback.capture import writer
from feedback_router.feedback.schemas import (
    BatchItemResult,
    BatchResult,
    FeedbackAccepted,
    FeedbackCreate,
    FeedbackFilter,
    FeedbackPage,
    FeedbackRead,
    LabelsIn,
)
from feedback_router.feedback.service import Capture
from feedback_router.routing import live
from feedback_router.schemas import Id
from feedback_router.wakeup import notify

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])
require_manager = require(Role.manager)
require_forwarder = require(Role.forwarder)


@router.post(
    "",
    status_code=202,
    response_model=FeedbackAccepted,
    responses={200: {"description": "Already stored: the existing id", "model": FeedbackAccepted}},
)
async def submit(
    feedback_in: FeedbackCreate,
    response: Response,
    key: ApiKey = Depends(require_forwarder),
    # an empty key would be stored once and then collide with every later empty one
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> FeedbackAccepted:
    """Store one item; processing happens later in a worker. The caller is kept as its forwarder."""
    # Stored with the other captures that arrive meanwhile, in one transaction (capture.py); answered
    # only after that commit.
    settings = get_settings()
    capture = Capture(feedback_in, idempotency_key, key.name)
    item_id, status, created = await writer(settings.database_url).store(capture)
    if created:
        notify(settings)
    else:
        response.status_code = 200
    return FeedbackAccepted(id=item_id, status=status)


@router.post("/batch", response_model=BatchResult)
def submit_batch(
    items: Annotated[list[Any], Body(embed=True)],
    session: Session = Depends(get_session, scope="function"),
    key: ApiKey = Depends(require_forwarder),
) -> BatchResult:
    """Store up to 1,000 items; each is accepted, a duplicate, or rejected with its reasons."""
    limit = get_settings().max_batch_items
    if len(items) > limit:
        raise InvalidInput(f"a batch takes at most {limit} items, this one has {len(items)}")
    results: list[BatchItemResult] = []
    for index, raw in enumerate(items):
        try:
            feedback_in = FeedbackCreate.model_validate(raw)
        except ValidationError as exc:
            results.append(
                BatchItemResult(
                    index=index,
                    status="rejected",
                    errors=[FieldError(**e) for e in field_messages(exc.errors())],
                )
            )
            continue
        try:
            item, created = service.create(session=session, feedback_in=feedback_in, forwarded_by=key.name)
        except InvalidInput as exc:
            results.append(
                BatchItemResult(
                    index=index, status="rejected", errors=[FieldError(field="item", message=exc.message)]
                )
            )
            continue
        results.append(
            BatchItemResult(index=index, status="accepted" if created else "duplicate", id=item.id)
        )
    session.commit()
    counts = {s: sum(r.status == s for r in results) for s in ("accepted", "duplicate", "rejected")}
    if counts["accepted"]:
        notify(get_settings())
    return BatchResult(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        results=results,
    )


@router.post("/{feedback_id}/labels", response_model=FeedbackRead)
def correct_labels(
    feedback_id: Id,
    labels_in: LabelsIn,
    session: Session = Depends(get_session, scope="function"),
    key: ApiKey = Depends(require_manager),
) -> FeedbackRead:
    """Correct kind, sentiment, abuse or topic; the correction is kept as a training example."""
    item = service.get(session=session, feedback_id=feedback_id)
    labels.correct(
        session=session,
        item=item,
        labels_in=labels_in,
        api_key_id=key.id,
        routing=live.current(get_settings().routing_file),
    )
    return service.read_many(session, [item])[0]


# ":int" so that GET /v1/feedback/batch is a 405 (POST only), not this route with a bad id
@router.get("/{feedback_id:int}", response_model=FeedbackRead, dependencies=[Depends(require(Role.manager))])
def read(feedback_id: Id, session: Session = Depends(get_session, scope="function")) -> FeedbackRead:
    return service.read_many(session, [service.get(session=session, feedback_id=feedback_id)])[0]


@router.get("", response_model=FeedbackPage, dependencies=[Depends(require(Role.manager))])
def list_feedback(
    filters: Annotated[FeedbackFilter, Query()],
    session: Session = Depends(get_session, scope="function"),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> FeedbackPage:
    items, next_cursor = service.list_page(session=session, filters=filters, limit=limit, cursor=cursor)
    return FeedbackPage(items=service.read_many(session, items), next_cursor=next_cursor)
