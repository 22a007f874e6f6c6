"""Digests: draft, edit, approve, publish to Discourse, export.

A digest moves ``draft → approved → published``; only a draft can be edited, only an approved one
published or exported. Nothing leaves before approval unless ``DIGEST_AUTO_PUBLISH`` is set, which
approves and publishes each digest as it is created.

Publishing is exactly once. The request claims the digest (``approved → publishing``, a compare and
set, committed before the call), so two requests never both post; the topic carries our
``external_id`` ``fr-digest-<id>``, which Discourse keeps unique; and any attempt after one that failed
(or after a claim whose request vanished, once its lease ran out) first looks the topic up by that id,
so an answer lost on the way back never makes a second topic. A failure leaves the digest approved,
with Discourse's reason in ``last_error``, ready to be tried again.
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedback_router.config import Settings
from feedback_router.db import utcnow
from feedback_router.digests import facts, render
from feedback_router.digests.models import Digest, DigestStatus
from feedback_router.digests.schemas import DigestCreate, DigestRead, DigestSections, DigestUpdate
from feedback_router.errors import Conflict, DomainError, InvalidInput, NotFound
from integrations.base import PostRef
from integrations.discourse import DiscourseConfig, DiscoursePublisher
from integrations.errors import IntegrationError

log = logging.getLogger(__name__)

DEFAULT_PERIOD = timedelta(days=7)
MAX_PERIOD = timedelta(days=366)
MIN_PUBLISH_LEASE = timedelta(seconds=60)
DISCOURSE_SETTINGS = "FEEDBACK_ROUTER_DISCOURSE__URL, __API_KEY and __API_USERNAME"


class PublishFailed(DomainError):
    """Discourse refused or did not answer; the digest stays approved with the reason in last_error."""

    status_code = 502


class DiscourseNotConfigured(Conflict):
    """Publishing needs the Discourse settings."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def period(*, digest_in: DigestCreate, now: datetime) -> tuple[datetime, datetime]:
    """The period asked for; by default the 7 whole days (UTC) before today. The end is exclusive."""
    start = _utc(digest_in.period_start) if digest_in.period_start else None
    end = _utc(digest_in.period_end) if digest_in.period_end else None
    if start is None and end is None:
        end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        if start is None:
            assert end is not None
            start = end - DEFAULT_PERIOD
        if end is None:
            end = start + DEFAULT_PERIOD
        start - (end - start)  # the period before, which the trends compare with
    except OverflowError:
        raise InvalidInput("the period and the one before it must lie within the years 1 to 9999") from None
    if end <= start:
        raise InvalidInput(f"period_end ({end.isoformat()}) must be after period_start ({start.isoformat()})")
    if end - start > MAX_PERIOD:
        raise InvalidInput(
            f"a digest covers at most {MAX_PERIOD.days} days; this period has {(end - start).days}"
        )
    return start, end


def create(
    *, session: Session, digest_in: DigestCreate, settings: Settings, api_key_id: int | None = None
) -> Digest:
    """Draft a digest from the data and commit it; with auto-publish, approve and publish it too.

    A failed auto-publication leaves the digest approved with ``last_error`` (it is not an error of
    the creation).
    """
    start, end = period(digest_in=digest_in, now=utcnow())
    community = digest_in.community
    sections = facts.gather(
        session=session,
        community=community,
        start=start,
        end=end,
        settings=settings,
        language=digest_in.language,
    )
    digest = Digest(
        community=community,
        language=digest_in.language,
        period_start=start,
        period_end=end,
        status=DigestStatus.draft,
        title=render.title(language=digest_in.language, community=community, start=start, end=end),
        markdown=render.markdown(
            language=digest_in.language, sections=sections, community=community, start=start, end=end
        ),
        sections=sections.model_dump(mode="json"),
    )
    session.add(digest)
    session.commit()
    log.info("digest %s drafted", digest.id, extra={"digest_id": digest.id})
    if settings.digest_auto_publish:
        approve(session=session, digest_id=digest.id, api_key_id=api_key_id)
        try:
            publish(session=session, digest_id=digest.id, settings=settings)
        except (PublishFailed, DiscourseNotConfigured) as exc:
            log.warning(
                "digest %s not auto-published: %s", digest.id, exc.message, extra={"digest_id": digest.id}
            )
    return digest


def get(*, session: Session, digest_id: int, lock: bool = False) -> Digest:
    query = select(Digest).where(Digest.id == digest_id)
    digest = session.scalar(query.with_for_update() if lock else query)
    if digest is None:
        raise NotFound(f"digest {digest_id} does not exist")
    return digest


def list_digests(
    *, session: Session, status: str | None = None, community: str | None = None, limit: int = 50
) -> Sequence[Digest]:
    """Newest first."""
    query = select(Digest).order_by(Digest.id.desc()).limit(limit)
    if status:
        query = query.where(Digest.status == status)
    if community:
        query = query.where(Digest.community == community)
    return session.scalars(query).all()


def update_draft(*, session: Session, digest_id: int, digest_in: DigestUpdate) -> Digest:
    """A manager's edit of the title or text; only drafts change."""
    digest = get(session=session, digest_id=digest_id, lock=True)
    if digest.status != DigestStatus.draft:
        raise Conflict(f"digest {digest_id} is {digest.status}; only a draft can be edited")
    if digest_in.title is not None:
        digest.title = digest_in.title
    if digest_in.markdown is not None:
        digest.markdown = digest_in.markdown
    session.commit()
    return digest


def approve(*, session: Session, digest_id: int, api_key_id: int | None) -> Digest:
    """Approve a draft as it stands now."""
    digest = get(session=session, digest_id=digest_id, lock=True)
    if digest.status != DigestStatus.draft:
        raise Conflict(f"digest {digest_id} is {digest.status} already; only a draft can be approved")
    digest.status = DigestStatus.approved
    digest.approved_at, digest.approved_by = utcnow(), api_key_id
    session.commit()
    log.info("digest %s approved", digest_id, extra={"digest_id": digest_id})
    return digest


def discourse_config(settings: Settings) -> DiscourseConfig | None:
    """The forum to publish to, or None when a setting is missing."""
    if not (settings.discourse.url and settings.discourse.api_key and settings.discourse.api_username):
        return None
    return DiscourseConfig(
        url=settings.discourse.url,
        api_key=settings.discourse.api_key,
        api_username=settings.discourse.api_username,
        timeout=settings.delivery_timeout,
    )


def external_id(digest_id: int) -> str:
    """Our id for the digest's topic in Discourse."""
    return f"fr-digest-{digest_id}"


def publish_lease(settings: Settings) -> timedelta:
    """How long a claim holds: a look-up and a create, each with a connect and a read timeout."""
    return max(MIN_PUBLISH_LEASE, timedelta(seconds=6 * settings.delivery_timeout))


def _check_publishable(digest: Digest, settings: Settings) -> None:
    if digest.status == DigestStatus.draft:
        raise Conflict(
            f"digest {digest.id} is a draft; approve it first (POST /v1/digests/{digest.id}/approve)"
        )
    if digest.status == DigestStatus.published:
        raise Conflict(f"digest {digest.id} was published already: {digest.published_url}")
    if digest.status == DigestStatus.publishing and digest.updated_at > utcnow() - publish_lease(settings):
        raise Conflict(f"digest {digest.id} is being published right now; look again in a minute")


def _claim(session: Session, digest: Digest, settings: Settings) -> bool:
    """Take the digest for publishing; True when it may have reached Discourse before (look it up)."""
    now = utcnow()
    previous = digest.status
    stale = now - publish_lease(settings)
    condition = Digest.status == previous
    if previous == DigestStatus.publishing:
        condition = condition & (Digest.updated_at <= stale)
    claimed = session.execute(  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        update(Digest)
        .where(Digest.id == digest.id, condition)
        .values(status=DigestStatus.publishing, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not claimed:
        session.refresh(digest)
        raise Conflict(f"digest {digest.id} is {digest.status}: another request got to it first")
    session.refresh(digest)
    return previous == DigestStatus.publishing or digest.last_error is not None


def publish(*, session: Session, digest_id: int, settings: Settings) -> Digest:
    """Publish an approved digest to Discourse as a new topic, exactly once.

    Raises:
        Conflict: not approved yet, published already, or being published by another request.
        DiscourseNotConfigured: a Discourse setting is missing (recorded in ``last_error``).
        PublishFailed: Discourse refused or did not answer (recorded in ``last_error``; the digest
            stays approved and can be published again).
    """
    digest = get(session=session, digest_id=digest_id)
    _check_publishable(digest, settings)
    config = discourse_config(settings)
    if config is None:
        digest.last_error = f"Discourse is not configured: set {DISCOURSE_SETTINGS}"
        session.commit()
        raise DiscourseNotConfigured(
            f"cannot publish digest {digest_id}: Discourse is not configured (set {DISCOURSE_SETTINGS}); "
            f"export it instead with GET /v1/digests/{digest_id}/export"
        )
    look_up = _claim(session, digest, settings)
    try:
        ref = _post(digest, config, settings, look_up=look_up)
    except IntegrationError as exc:
        digest.status, digest.last_error = DigestStatus.approved, str(exc)
        session.commit()
        log.warning("digest %s not published: %s", digest_id, exc, extra={"digest_id": digest_id})
        raise PublishFailed(f"Discourse did not publish digest {digest_id}: {exc}") from exc
    digest.status, digest.published_at, digest.published_url = DigestStatus.published, utcnow(), ref.url
    digest.last_error = None
    session.commit()
    log.info("digest %s published", digest_id, extra={"digest_id": digest_id})
    return digest


def _post(digest: Digest, config: DiscourseConfig, settings: Settings, *, look_up: bool) -> PostRef:
    with DiscoursePublisher(config) as forum:
        if look_up:  # an earlier attempt may have created it with its answer lost
            found = forum.find_topic(external_id(digest.id))
            if found is not None:
                return found
        return forum.create_topic(
            digest.title,
            digest.markdown,
            settings.discourse.digest_category,
            external_id=external_id(digest.id),
        )


EXPORTS = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


def export(*, session: Session, digest_id: int, file_format: str) -> tuple[str, str, str]:
    """An approved digest as a file: (file name, media type, content); title as its heading."""
    digest = get(session=session, digest_id=digest_id)
    if digest.status == DigestStatus.draft:
        raise Conflict(f"digest {digest_id} is a draft; approve it before exporting it")
    name = f"digest-{digest.id}-{digest.period_start.date().isoformat()}.{file_format}"
    if file_format == "html":
        content = render.html_document(
            title_text=digest.title, markdown_text=digest.markdown, language=digest.language
        )
    else:
        content = render.markdown_document(title_text=digest.title, markdown_text=digest.markdown)
    return name, EXPORTS[file_format], content


def read(digest: Digest) -> DigestRead:
    """The digest with HTML rendered from its current Markdown."""
    return DigestRead(
        id=digest.id,
        community=digest.community,
        language=digest.language,
        period_start=digest.period_start,
        period_end=digest.period_end,
        status=digest.status,
        title=digest.title,
        created_at=digest.created_at,
        updated_at=digest.updated_at,
        approved_at=digest.approved_at,
        approved_by=digest.approved_by,
        published_at=digest.published_at,
        published_url=digest.published_url,
        last_error=digest.last_error,
        markdown=digest.markdown,
        html=render.to_html(digest.markdown),
        sections=DigestSections.model_validate(digest.sections) if digest.sections else None,
    )
