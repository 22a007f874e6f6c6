"""A webhook receiver: records every delivery with its raw body and checks the signature itself.

The check is written here from the contract (``sha256=`` + hex HMAC-SHA256 of the raw body), not
imported from ``integrations.webhook``, so the fake is an independent witness of what was signed.
By default it answers ``204``; with ``reject_bad_signatures`` a wrong signature gets ``401``; other
answers (``429`` + ``Retry-After``, ``500``, ``410``) are scripted with :meth:`FakeServer.script`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from tests.fakes.server import FakeServer

PATH = "/hooks/feedback"


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
            self.secret = "webhook-test-secret"
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
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            given = request.headers.get("x-feedback-router-signature", "")
            valid = hmac.compare_digest(expected, given)
            if not valid and self.reject_bad_signatures:
                return PlainTextResponse("bad signature", status_code=401)
            with self._state:
                self.deliveries.append(
                    Delivery(body=body, headers=dict(request.headers), signature_valid=valid)
                )
            return Response(status_code=204)

        return app
