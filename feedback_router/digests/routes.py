"""/v1/digests: draft, edit, approve, publish and export "you said, we did" digests."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import ApiKey, Role
from feedback_router.config import get_settings
from feedback_router.digests import service
from feedback_router.digests.models import DigestStatus
from feedback_router.digests.schemas import DigestCreate, DigestRead, DigestSummary, DigestUpdate
from feedback_router.schemas import Id

router = APIRouter(prefix="/v1/digests", tags=["digests"])
require_manager = require(Role.manager)
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such digest"},
    409: {"description": "Not in a state that allows it (e.g. publishing a draft)"},
}


@router.post("", status_code=201, response_model=DigestRead)
def create(
    digest_in: DigestCreate,
    session: Session = Depends(get_session, scope="function"),
    key: ApiKey = Depends(require_manager),
) -> DigestRead:
    """Draft a digest of a period (default: the last 7 whole days, UTC) for one community or all."""
    digest = service.create(session=session, digest_in=digest_in, settings=get_settings(), api_key_id=key.id)
    return service.read(digest)


@router.get("", response_model=list[DigestSummary], dependencies=[Depends(require_manager)])
def list_digests(
    session: Session = Depends(get_session, scope="function"),
    status: DigestStatus | None = None,
    community: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DigestSummary]:
    """Newest first, without their text."""
    digests = service.list_digests(session=session, status=status, community=community, limit=limit)
    return [DigestSummary.model_validate(d) for d in digests]


@router.get(
    "/{digest_id}", response_model=DigestRead, responses=ERRORS, dependencies=[Depends(require_manager)]
)
def read(digest_id: Id, session: Session = Depends(get_session, scope="function")) -> DigestRead:
    """The digest, with HTML rendered from its current Markdown: the preview."""
    return service.read(service.get(session=session, digest_id=digest_id))


@router.patch(
    "/{digest_id}", response_model=DigestRead, responses=ERRORS, dependencies=[Depends(require_manager)]
)
def edit(
    digest_id: Id, digest_in: DigestUpdate, session: Session = Depends(get_session, scope="function")
) -> DigestRead:
    """Change a draft's title or Markdown."""
    return service.read(service.update_draft(session=session, digest_id=digest_id, digest_in=digest_in))


@router.post("/{digest_id}/approve", response_model=DigestRead, responses=ERRORS)
def approve(
    digest_id: Id,
    session: Session = Depends(get_session, scope="function"),
    key: ApiKey = Depends(require_manager),
) -> DigestRead:
    """Approve a draft as it stands; after this it can be published or exported, no longer edited."""
    return service.read(service.approve(session=session, digest_id=digest_id, api_key_id=key.id))


@router.post(
    "/{digest_id}/publish",
    response_model=DigestRead,
    responses={**ERRORS, 502: {"description": "Discourse refused or did not answer; see last_error"}},
    dependencies=[Depends(require_manager)],
)
def publish(digest_id: Id, session: Session = Depends(get_session, scope="function")) -> DigestRead:
    """Publish an approved digest to Discourse as a new topic."""
    return service.read(service.publish(session=session, digest_id=digest_id, settings=get_settings()))


@router.get(
    "/{digest_id}/export",
    response_class=Response,
    responses={
        **ERRORS,
        200: {
            "description": "The file, to save under the name in Content-Disposition",
            "content": {media: {"schema": {"type": "string"}} for media in ("text/markdown", "text/html")},
        },
    },
    dependencies=[Depends(require_manager)],
)
def export(
    digest_id: Id,
    session: Session = Depends(get_session, scope="function"),
    file_format: Annotated[Literal["md", "html"], Query(alias="format")] = "md",
) -> Response:
    """Download an approved digest as Markdown or as an HTML page."""
    name, media_type, content = service.export(session=session, digest_id=digest_id, file_format=file_format)
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
