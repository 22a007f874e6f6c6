"""A webhook receiver: records every delivery with its raw body and checks the signature itself.

The check is written here from the text of the Standard Webhooks specification (``webhook-id``,
``webhook-timestamp`` within five minutes, ``webhook-signature``: space-separated ``v1,<base64
HMAC-SHA256 of "id.timestamp.body">``, keyed with the bytes of a ``whsec_<base64>`` secret), not
imported from ``integrations.webhook``, so the fake is an independent witness of what was signed.
By default it answers ``204``; with ``reject_bad_signatures`` a wrong signature gets ``401``; other
answers (``429`` + ``Retry-After``, ``500``, ``410``) are scripted with :meth:`FakeServer.script`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from tests.fakes.server import FakeServer

PATH = "/hooks/feedback"
SECRET = "whsec_" + base64.b64encode(b"the fake receiver's 32 byte key!").decode()
TOLERANCE = 300  # seconds, as the specification's libraries allow


def standard_webhooks_valid(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """Whether a delivery verifies as the Standard Webhooks specification says."""
    msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp", "")
    if not msg_id or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest())
    versioned = (s.partition(",") for s in headers.get("webhook-signature", "").split(" "))
    return any(v == "v1" and hmac.compare_digest(sig.encode(), expected) for v, _, sig in versioned)


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]
    signature_valid: bool

    def json(self) -> Any:
        return json.loads(self.body)


class FakeWebhookReceiver(FakeServer):
    """State and controls of the receiver.

    Attributes:
        secret: the shared secret it verifies with.
        deliveries: accepted deliveries, in order.
        reject_bad_signatures: answer 401 to a missing or wrong signature (default) instead of 204.
    """

    def __init__(self) -> None:
        super().__init__()
        self._state = threading.Lock()
        self.reset()

    def reset(self) -> None:
        super().reset()
        with self._state:
            self.secret = SECRET
            self.deliveries: list[Delivery] = []
            self.reject_bad_signatures = True

    @property
    def hook_url(self) -> str:
        return self.url + PATH

    def app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.post(PATH)
        async def receive(request: Request) -> Response:
            body = await request.body()
            valid = standard_webhooks_valid(self.secret, body, dict(request.headers))
            if not valid and self.reject_bad_signatures:
                return PlainTextResponse("bad signature", status_code=401)
            with self._state:
                self.deliveries.append(
                    Delivery(body=body, headers=dict(request.headers), signature_valid=valid)
                )
            return Response(status_code=204)

        return app
