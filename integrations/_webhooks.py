"""Shared by incoming webhooks: ``sha256=<hex>`` HMAC-SHA256 body signatures (the form Jira and Discourse
use) and reading a delivery's JSON body."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from integrations.errors import WebhookPayloadError

Secret = str | bytes | SecretStr


def sign_sha256(secret: Secret, body: bytes) -> str:
    """``sha256=`` + the hex HMAC-SHA256 of the raw ``body`` bytes with ``secret``."""
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_sha256(secret: Secret | None, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the ``sha256=<hex>`` signature of ``body``, compared in constant time.

    A missing or empty secret never verifies: anyone can compute an HMAC with an empty key, so accepting
    it would accept every forged delivery when the secret was left unset by mistake.
    """
    plain = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not header or not plain:
        return False
    return hmac.compare_digest(sign_sha256(plain, body).encode(), header.strip().lower().encode())


def json_object(body: bytes | str | Mapping[str, Any], sender: str) -> dict[str, Any]:
    """The delivery's JSON object; ``body`` may be the raw bytes or JSON parsed already.

    Raises:
        WebhookPayloadError: not JSON, or JSON that is not an object.
    """
    if isinstance(body, Mapping):
        return dict(body)
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookPayloadError(f"{sender} delivery is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise WebhookPayloadError(f"{sender} delivery is not a JSON object")
    return document
