"""Deliveries from a Jira admin webhook: check the signature, read an issue event into an :class:`IssueEvent`.

Jira signs the deliveries of a webhook that has a secret: ``X-Hub-Signature:
sha256=<hex>``, the HMAC-SHA256 of the raw body. ``X-Atlassian-Webhook-Identifier`` is unique per
delivery and stays the same on retries, so it names the delivery to apply once;
``X-Atlassian-Webhook-Retry`` counts the retries. Deliveries may arrive out of order: compare
:attr:`IssueEvent.timestamp` before letting an older event overwrite a newer status.

The body of an issue event::

    {"timestamp": 1710496800000, "webhookEvent": "jira:issue_updated",
     "issue": {"id": "10001", "key": "FR-1",
               "fields": {"status": {"name": "Done", "statusCategory": {"key": "done"}}, "labels": [...]}},
     "changelog": {"items": [{"field": "status", "fromString": "To Do", "toString": "Done"}]}}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from integrations._webhooks import Secret, json_object, verify_sha256
from integrations.base import StatusCategory
from integrations.errors import WebhookPayloadError

__all__ = [
    "IDENTIFIER_HEADER",
    "RETRY_HEADER",
    "SIGNATURE_HEADER",
    "IssueEvent",
    "parse_issue_event",
    "status_category",
    "verify_jira_signature",
]

SIGNATURE_HEADER = "X-Hub-Signature"
IDENTIFIER_HEADER = "X-Atlassian-Webhook-Identifier"
RETRY_HEADER = "X-Atlassian-Webhook-Retry"

# Jira's statusCategory keys; "undefined" (No Category) means it does not say.
STATUS_CATEGORIES: dict[str, StatusCategory] = {
    "new": "new",
    "indeterminate": "indeterminate",
    "done": "done",
}


def verify_jira_signature(secret: Secret | None, raw_body: bytes, header: str | None) -> bool:
    """Check ``X-Hub-Signature`` against the raw body.

    Args:
        secret: the webhook's secret as set in Jira; a missing or empty one never verifies.
        raw_body: the request body exactly as received, before any JSON parsing.
        header: the header value, ``sha256=<hex>``; ``None`` when it was missing.

    Returns:
        Whether Jira signed this body with the secret (compared in constant time).
    """
    return verify_sha256(secret, raw_body, header)


class IssueEvent(BaseModel):
    """What an issue webhook says about one issue.

    Attributes:
        webhook_event: ``jira:issue_created``, ``jira:issue_updated``, ``jira:issue_deleted``, ...
        issue_key: the issue's key now (a moved issue has a new key; ``issue_id`` stays).
        issue_id: Jira's stable id for the issue.
        labels: the issue's labels (ours among them: ``fr-42``).
        status_name: the status after the event, as the workflow names it.
        status_category: ``new``, ``indeterminate`` or ``done`` when the delivery says.
        changed_status_from: the previous status name, when this event changed the status.
        changed_status_to: the new status name, when this event changed the status.
        timestamp: when Jira emitted the event (UTC), to put out-of-order deliveries in order.
    """

    model_config = ConfigDict(frozen=True)

    webhook_event: str
    issue_key: str
    issue_id: str
    labels: list[str] = Field(default_factory=list)
    status_name: str | None = None
    status_category: StatusCategory | None = None
    changed_status_from: str | None = None
    changed_status_to: str | None = None
    timestamp: datetime | None = None

    @property
    def status_changed(self) -> bool:
        """Whether this event moved the issue to another status."""
        return self.changed_status_to is not None


def parse_issue_event(body: bytes | str | Mapping[str, Any]) -> IssueEvent:
    """Read an issue event (``jira:issue_updated`` and the other ``jira:issue_*`` events).

    Args:
        body: the raw body (verify its signature first) or the already parsed JSON.

    Returns:
        The event; status fields are ``None`` where the delivery has no status.

    Raises:
        WebhookPayloadError: not JSON, no ``issue`` with a ``key`` and an ``id`` (not an issue event), or
            a ``timestamp`` that is no moment.
    """
    document = json_object(body, "Jira")
    issue = document.get("issue")
    if not isinstance(issue, dict) or not issue.get("key") or not issue.get("id"):
        event = document.get("webhookEvent") or "unknown event"
        raise WebhookPayloadError(f"Jira delivery ({event}) has no issue with a key and an id")
    fields = _object(issue.get("fields"))
    status = _object(fields.get("status"))
    labels = fields.get("labels")
    change = _status_change(document.get("changelog"))
    return IssueEvent(
        webhook_event=str(document.get("webhookEvent") or ""),
        issue_key=str(issue["key"]),
        issue_id=str(issue["id"]),
        labels=[str(label) for label in labels] if isinstance(labels, list) else [],
        status_name=_text(status.get("name")) or (change[1] if change else None),
        status_category=status_category(status),
        changed_status_from=change[0] if change else None,
        changed_status_to=change[1] if change else None,
        timestamp=_timestamp(document.get("timestamp")),
    )


def status_category(status: Any) -> StatusCategory | None:
    """``new``/``indeterminate``/``done`` from a Jira status object, or ``None`` (e.g. ``undefined``)."""
    category = status.get("statusCategory") if isinstance(status, dict) else None
    key = category.get("key") if isinstance(category, dict) else None
    return STATUS_CATEGORIES.get(key) if isinstance(key, str) else None


def _status_change(changelog: Any) -> tuple[str | None, str] | None:
    """(from, to) of the last status item in the changelog, or ``None`` when the status did not change."""
    items = changelog.get("items") if isinstance(changelog, dict) else None
    found = None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and (item.get("fieldId") or item.get("field")) == "status":
            to = _text(item.get("toString"))
            if to:
                found = (_text(item.get("fromString")), to)
    return found


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _timestamp(value: Any) -> datetime | None:
    """Jira's ``timestamp`` is milliseconds since the epoch; one no date can hold counts as none."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):  # beyond the calendar, NaN or infinite
            raise WebhookPayloadError("timestamp is not milliseconds since the epoch") from None
    return None
