"""WebhookNotifier: JSON POSTs to a URL of the user's choosing, signed as Standard Webhooks sign.

Each request carries the three headers of the Standard Webhooks specification
(https://www.standardwebhooks.com), so a receiver can check it with any of its libraries:

- ``webhook-id``: the delivery's id, the same on every retry of one delivery (drop repeats by it);
- ``webhook-timestamp``: when this attempt was sent, in seconds since the epoch (refuse old ones);
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``.

The secret: a ``whsec_<base64>`` secret, as those libraries make and take, signs with the bytes it
encodes; any other secret signs with its UTF-8 bytes, which a library takes as ``whsec_`` + their base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from integrations._http import USER_AGENT, Closable, error_for_status, error_for_transport
from integrations.base import Notification
from integrations.errors import PermanentIntegrationError
from integrations.redact import redact

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
EVENT_HEADER = "X-Feedback-Router-Event"
SECRET_PREFIX = "whsec_"


class WebhookConfig(BaseModel):
    """Where to POST and the secret to sign with.

    Attributes:
        url: the receiver.
        secret: shared with the receiver; ``whsec_<base64>`` as Standard Webhooks libraries make them
            (e.g. ``"whsec_" + base64 of 32 random bytes``), or any other string (its UTF-8 bytes).
        timeout: seconds to wait for a connection and again for the answer.
        redact: remove e-mail addresses, phone numbers, IBANs and card numbers from notifications.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # secrets inside

    url: AnyHttpUrl
    secret: SecretStr
    timeout: float = Field(default=10.0, gt=0)
    redact: bool = True


def signing_key(secret: str | SecretStr) -> bytes:
    """The HMAC key of a secret: the bytes a ``whsec_<base64>`` secret encodes, else its UTF-8 bytes."""
    plain = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if plain.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(plain.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error:
            pass  # not base64 after all: used as it is, like any other secret
    return plain.encode()


def sign(secret: str | SecretStr, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + the base64 HMAC-SHA256 of ``<id>.<timestamp>.<body>``."""
    content = f"{delivery_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(signing_key(secret), content, hashlib.sha256).digest()).decode()


class WebhookNotifier(Closable):
    """A :class:`~integrations.base.Notifier` that POSTs signed JSON to ``config.url``.

    Every request carries the Standard Webhooks headers (see the module) and ``X-Feedback-Router-Event``.
    Any 2xx is success; redirects are not followed. Close it (or use it as a context manager) to
    release connections.

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
            delivery_id: pass the same id on every retry of one delivery (no ``.`` in it: the signature
                separates its parts with dots); a new one by default.

        Returns:
            The delivery id sent in ``webhook-id``.

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
        delivery_id = delivery_id or f"msg_{uuid.uuid4().hex}"
        if "." in delivery_id:
            raise ValueError(f"a webhook delivery id has no '.': {delivery_id!r}")
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        timestamp = int(time.time())  # this attempt's: receivers refuse old ones, so copies cannot replay
        headers = {
            "Content-Type": "application/json",
            ID_HEADER: delivery_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.config.secret, delivery_id, timestamp, body),
            EVENT_HEADER: event,
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
