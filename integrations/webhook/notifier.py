"""WebhookNotifier: signed JSON POSTs to a URL of the user's choosing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from integrations._http import USER_AGENT, Closable, error_for_status, error_for_transport
from integrations._webhooks import sign_sha256, verify_sha256
from integrations.base import Notification
from integrations.errors import PermanentIntegrationError
from integrations.redact import redact

SIGNATURE_HEADER = "X-Feedback-Router-Signature"
DELIVERY_HEADER = "X-Feedback-Router-Delivery"
EVENT_HEADER = "X-Feedback-Router-Event"


class WebhookConfig(BaseModel):
    """Where to POST and the secret to sign with.

    Attributes:
        url: the receiver.
        secret: shared with the receiver; signs every body (HMAC-SHA256).
        timeout: seconds to wait for a connection and again for the answer.
        redact: remove e-mail addresses, phone numbers, IBANs and card numbers from notifications.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # secrets inside

    url: AnyHttpUrl
    secret: SecretStr
    timeout: float = Field(default=10.0, gt=0)
    redact: bool = True


def sign(secret: str | bytes | SecretStr, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256 of the raw bytes>``."""
    return sign_sha256(secret, body)


def verify_signature(secret: str | bytes | SecretStr, body: bytes, header: str | None) -> bool:
    """Check a received ``X-Feedback-Router-Signature`` header, for receivers written in Python.

    Args:
        secret: the shared secret; an empty one never verifies.
        body: the raw request body exactly as received (before any JSON parsing).
        header: the header value, ``sha256=<hex>``; ``None`` when it was missing.

    Returns:
        Whether the body was signed with the secret (compared in constant time).
    """
    return verify_sha256(secret, body, header)


class WebhookNotifier(Closable):
    """A :class:`~integrations.base.Notifier` that POSTs signed JSON to ``config.url``.

    Every request carries ``X-Feedback-Router-Signature: sha256=<hex>`` (HMAC-SHA256 of the exact body
    bytes with the secret), ``X-Feedback-Router-Event`` and ``X-Feedback-Router-Delivery`` (an id that
    the caller keeps across retries, so a receiver can apply a delivery once). Any 2xx is success;
    redirects are not followed. Close it (or use it as a context manager) to release connections.

    Args:
        config: the receiver and the secret.
    """

    config_class: ClassVar[type[WebhookConfig]] = WebhookConfig

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self._http = httpx.Client(
            timeout=config.timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        )

    def send(self, notification: Notification, *, delivery_id: str | None = None) -> str:
        """POST ``{"event": "notification", "notification": {...}}``.

        Args:
            notification: what to say; its texts are redacted unless ``config.redact`` is off.
            delivery_id: pass the same id on every retry of one delivery; a new one by default.

        Returns:
            The delivery id sent in ``X-Feedback-Router-Delivery``.

        Raises:
            RetryableIntegrationError: 408/425/429/5xx (``retry_after`` from ``Retry-After``) and
                connection failures (``UnclearOutcomeError`` once the request may have arrived).
            PermanentIntegrationError: any other answer that is not 2xx, including redirects.
        """
        if self.config.redact:
            notification = notification.model_copy(
                update={
                    "title": redact(notification.title),
                    "text": redact(notification.text),
                    "author": None if notification.author is None else redact(notification.author),
                    "reason": None if notification.reason is None else redact(notification.reason),
                }
            )
        payload = {"event": "notification", "notification": notification.model_dump(mode="json")}
        return self.deliver(payload, event="notification", delivery_id=delivery_id)

    def deliver(self, payload: Mapping[str, Any], *, event: str, delivery_id: str | None = None) -> str:
        """POST any JSON document, signed; nothing in it is redacted.

        Args:
            payload: JSON-serialisable mapping; it is encoded once and the signature is computed over
                exactly the bytes that are sent.
            event: the event name for ``X-Feedback-Router-Event`` (``"ticket.created"``, ...).
            delivery_id: as in :meth:`send`.

        Returns:
            The delivery id.
        """
        delivery_id = delivery_id or str(uuid.uuid4())
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.config.secret, body),
            EVENT_HEADER: event,
            DELIVERY_HEADER: delivery_id,
        }
        where = f"webhook {self.config.url.host}: deliver {event}"
        try:
            response = self._http.post(str(self.config.url), content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise error_for_transport(where, exc) from exc
        if response.is_success:
            return delivery_id
        reason = response.text.strip()[:200]
        if response.is_redirect:
            raise PermanentIntegrationError(
                f"{where} got a redirect (HTTP {response.status_code}); configure the final URL",
                status_code=response.status_code,
            )
        raise error_for_status(where, response.status_code, reason, response.headers.get("Retry-After"))

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()
