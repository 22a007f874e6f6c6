"""Webhooks from Jira and Discourse and the Slack message shortcut (signed, no API key), and the author
notices for community managers."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from pydantic import SecretStr
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import ApiKey, Role
from feedback_router.config import get_settings
from feedback_router.loopback import notices, service
from feedback_router.loopback.models import NoticeStatus
from feedback_router.loopback.schemas import DiscourseWebhookResult, JiraWebhookResult, NoticePage, NoticeRead
from feedback_router.schemas import Id
from feedback_router.wakeup import notify
from integrations.discourse import parse_post_event, verify_discourse_signature
from integrations.errors import WebhookPayloadError, WebhookSignatureError
from integrations.jira import parse_issue_event, verify_jira_signature
from integrations.slack import MessageShortcut, parse_interaction, verify_slack_request

router = APIRouter(tags=["loop"])
require_manager = require(Role.manager)


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: signatures are over these bytes, not over re-encoded JSON."""
    return await request.body()


def _secret(value: SecretStr | None, what: str, variable: str) -> SecretStr:
    """The secret that signs ``what``'s requests; without one the route is off (404, saying what to set)."""
    if value is None:
        raise HTTPException(404, f"the {what} is off: set FEEDBACK_ROUTER_{variable} to its secret")
    return value


def _unsigned(what: str, header: str) -> HTTPException:
    return HTTPException(401, f"{what} delivery refused: the {header} signature is missing or wrong")


def _signed(content_type: str, more: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``responses`` and the raw request body of a signed delivery, for the OpenAPI schema."""
    return {
        "responses": {
            400: {"description": "Signed, but not an event this route can read"},
            401: {"description": "The signature is missing or wrong"},
            404: {"description": "Off: its secret is not set"},
            **(more or {}),
        },
        "openapi_extra": {
            "requestBody": {"required": True, "content": {content_type: {"schema": {"type": "object"}}}}
        },
    }


@router.post(
    "/v1/webhooks/jira",
    response_model=JiraWebhookResult,
    response_model_exclude_none=True,
    **_signed("application/json"),
)
def jira_webhook(
    body: bytes = Depends(raw_body),
    signature: Annotated[str | None, Header(alias="X-Hub-Signature")] = None,
    delivery_id: Annotated[str | None, Header(alias="X-Atlassian-Webhook-Identifier")] = None,
    session: Session = Depends(get_session, scope="function"),
) -> JiraWebhookResult:
    """An issue changed in Jira: its status reaches our tickets, once per delivery. Answers 200 for
    deliveries it ignores too (Jira retries anything else)."""
    settings = get_settings()
    secret = _secret(settings.jira.webhook_secret, "Jira webhook", "JIRA__WEBHOOK_SECRET")
    if not verify_jira_signature(secret, body, signature):
        raise _unsigned("Jira", "X-Hub-Signature")
    try:
        event = parse_issue_event(body)
    except WebhookPayloadError as exc:
        raise HTTPException(400, str(exc)) from None
    result = service.apply_jira_event(
        session=session, event=event, body=body, delivery_id=delivery_id, settings=settings
    )
    session.commit()
    if result.notices:
        notify(settings, "notices")  # a worker sends the replies
    return result


@router.post(
    "/v1/webhooks/discourse",
    status_code=202,
    response_model=DiscourseWebhookResult,
    response_model_exclude_none=True,
    **_signed(
        "application/json",
        {
            200: {"description": "A duplicate, or not feedback", "model": DiscourseWebhookResult},
            503: {"description": "FEEDBACK_ROUTER_DISCOURSE__URL is not set"},
        },
    ),
)
def discourse_webhook(
    response: Response,
    body: bytes = Depends(raw_body),
    signature: Annotated[str | None, Header(alias="X-Discourse-Event-Signature")] = None,
    event: Annotated[str | None, Header(alias="X-Discourse-Event")] = None,
    session: Session = Depends(get_session, scope="function"),
) -> DiscourseWebhookResult:
    """A new forum post becomes a feedback item (202), processed like one sent to the API."""
    settings = get_settings()
    secret = _secret(settings.discourse.webhook_secret, "Discourse webhook", "DISCOURSE__WEBHOOK_SECRET")
    if not verify_discourse_signature(secret, body, signature):
        raise _unsigned("Discourse", "X-Discourse-Event-Signature")
    response.status_code = 200
    if event != "post_created":
        return DiscourseWebhookResult(ignored=f"event {event or '(none)'} is not post_created")
    if settings.discourse.url is None:
        raise HTTPException(
            503, "set FEEDBACK_ROUTER_DISCOURSE__URL: links to the forum's posts are made with it"
        )
    try:
        post = parse_post_event(body, base_url=str(settings.discourse.url))
    except WebhookPayloadError as exc:
        raise HTTPException(400, str(exc)) from None
    result, created = service.capture_forum_post(session=session, post=post, settings=settings)
    session.commit()
    if created:
        response.status_code = 202
        notify(settings)
    return result


@router.post(
    "/v1/integrations/slack/actions",
    response_class=Response,
    **_signed(
        "application/x-www-form-urlencoded",
        {200: {"description": "Acknowledged (Slack wants an empty 200 within three seconds)"}},
    ),
)
def slack_actions(
    body: bytes = Depends(raw_body),
    timestamp: Annotated[str | None, Header(alias="X-Slack-Request-Timestamp")] = None,
    signature: Annotated[str | None, Header(alias="X-Slack-Signature")] = None,
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    """Slack's interactivity: the message shortcut forwards a message as a feedback item; where it was
    routed is answered in its thread later, by a worker. Other interactions are acknowledged and ignored."""
    settings = get_settings()
    secret = _secret(settings.slack.signing_secret, "Slack message shortcut", "SLACK__SIGNING_SECRET")
    try:
        verify_slack_request(secret, body, timestamp, signature)
    except WebhookSignatureError as exc:
        raise HTTPException(401, str(exc)) from None
    try:
        interaction = parse_interaction(body)
    except WebhookPayloadError as exc:
        raise HTTPException(400, str(exc)) from None
    if isinstance(interaction, MessageShortcut):
        created = service.capture_slack_message(session=session, shortcut=interaction, settings=settings)
        session.commit()
        if created:
            notify(settings)  # nothing else is called out: Slack wants the answer within three seconds
    return Response(status_code=200)


@router.get("/v1/notices", response_model=NoticePage, dependencies=[Depends(require_manager)])
def list_notices(
    session: Session = Depends(get_session, scope="function"),
    status: NoticeStatus | None = None,
    channel: notices.Channel | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> NoticePage:
    """Authors to tell that their report was resolved, oldest first; ``status=manual`` is the to-do list."""
    items, next_cursor = notices.list_page(
        session=session,
        statuses=[status] if status else None,
        channels=[channel] if channel else None,
        limit=limit,
        cursor=cursor,
    )
    return NoticePage(items=items, next_cursor=next_cursor)


@router.post("/v1/notices/{notice_id}/done", response_model=NoticeRead)
def notice_done(
    notice_id: Id,
    session: Session = Depends(get_session, scope="function"),
    key: ApiKey = Depends(require_manager),
) -> NoticeRead:
    """The author was answered by hand."""
    read = notices.mark_done(session=session, notice_id=notice_id, by=key.name)
    session.commit()
    return read
