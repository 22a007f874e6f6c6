"""A local Slack: one incoming webhook and the Web API's ``chat.postMessage``, with Slack's answers.

Incoming webhook (``POST /services/T…/B…/…``): ``200 ok`` as text; errors as text with a 4xx:
``400 invalid_payload`` (not JSON), ``400 no_text`` (neither text nor blocks), ``400 invalid_blocks``,
``404 no_service`` (unknown webhook), ``404 channel_not_found`` (``webhook_channel_exists = False``).
``429`` with ``Retry-After`` and 5xx are scripted with :meth:`FakeServer.script`.

``POST /api/chat.postMessage``: HTTP 200 with ``{"ok": true, "channel", "ts", "message"}`` or
``{"ok": false, "error": ...}`` for ``not_authed``, ``invalid_auth``, ``channel_not_found``,
``not_in_channel``, ``no_text``, ``invalid_blocks`` (with ``errors``). Rate limits are HTTP 429 with
``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``: script them.

Block Kit is checked against the limits that bite in practice (block types, header length, section
text and fields, context elements, buttons), so a message that the fake accepts is one Slack takes.

:meth:`FakeSlack.message_shortcut` builds the request Slack's interactivity sends when someone uses a
message shortcut: form-encoded ``payload=<JSON>`` shaped like Slack's ``message_action``, signed with
:attr:`FakeSlack.signing_secret` by the fake's own HMAC code.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from tests.fakes.server import FakeServer

WEBHOOK_PATH = "/services/T0FAKE/B0FAKE/x8WkSecretPart0123456789"
TEXT_TYPES = {"plain_text", "mrkdwn"}
RICH_TEXT_ELEMENTS = {"rich_text_section", "rich_text_quote", "rich_text_list", "rich_text_preformatted"}


class FakeSlack(FakeServer):
    """State and controls of the fake Slack workspace.

    Attributes:
        token: the bot token that ``chat.postMessage`` accepts.
        channels: channel id → name; ``C0FEEDBACK`` (#feedback) and ``C0BUGS`` (#bugs) exist.
        member_of: channel ids the bot has joined (others answer ``not_in_channel``).
        webhook_channel_exists: set to False to make the webhook's channel deleted (``404
            channel_not_found``).
        messages: accepted messages: ``{"via", "channel", "ts", "text", "blocks", "thread_ts"}``.
        signing_secret: the app's signing secret, which signs :meth:`message_shortcut` requests.
        team_domain: the workspace's subdomain (``acme.slack.com``).
    """

    def __init__(self) -> None:
        super().__init__()
        self._state = threading.Lock()
        self.reset()

    def reset(self) -> None:
        super().reset()
        with self._state:
            self.token = "xoxb-fake-bot-token"
            self.signing_secret = "slack-test-signing-secret"
            self.team_domain = "acme"
            self.channels = {"C0FEEDBACK": "feedback", "C0BUGS": "bugs", "C0QUIET": "quiet"}
            self.member_of = {"C0FEEDBACK", "C0BUGS"}
            self.webhook_channel_exists = True
            self.messages: list[dict[str, Any]] = []
            self._ts = itertools.count(1)

    @property
    def webhook_url(self) -> str:
        return self.url + WEBHOOK_PATH

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    def message_shortcut(
        self,
        text: str,
        *,
        ts: str = "1700000100.000200",
        thread_ts: str | None = None,
        channel: str = "C0FEEDBACK",
        author: str = "U0MIA",
        display_name: str | None = "Mia",
        forwarded_by: tuple[str, str] = ("U0LEA", "lea"),
        callback_id: str = "forward_to_feedback_router",
        secret: str | None = None,
        timestamp: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The request Slack sends when ``forwarded_by`` (id, handle) uses a message shortcut on a message
        by ``author``: ``(body, headers)``.

        ``thread_ts`` makes the message a reply in that thread; ``secret`` (default
        :attr:`signing_secret`) and ``timestamp`` (default now) sign it; ``payload`` replaces the whole
        payload (other interaction types, broken ones).
        """
        if payload is None:
            message: dict[str, Any] = {
                "type": "message",
                "user": author,
                "ts": ts,
                "text": text,
                "team": "T0FAKE",
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
                message["parent_user_id"] = "U0SOMEONE"
            if display_name:
                message["user_profile"] = {
                    "display_name": display_name,
                    "real_name": f"{display_name} Example",
                    "name": display_name.lower(),
                }
            payload = {
                "type": "message_action",
                "token": "verification-token-deprecated",
                "action_ts": f"{time.time():.6f}",
                "team": {"id": "T0FAKE", "domain": self.team_domain},
                "user": {
                    "id": forwarded_by[0],
                    "username": forwarded_by[1],
                    "name": forwarded_by[1],
                    "team_id": "T0FAKE",
                },
                "channel": {"id": channel, "name": self.channels.get(channel, "privategroup")},
                "is_enterprise_install": False,
                "enterprise": None,
                "callback_id": callback_id,
                "trigger_id": "13345224609.738474920.8088930838d88f008e0",
                "response_url": f"{self.url}/actions/T0FAKE/1/response",
                "message_ts": ts,
                "message": message,
            }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return body, self.sign(body, secret=secret, timestamp=timestamp)

    def sign(self, body: bytes, *, secret: str | None = None, timestamp: int | None = None) -> dict[str, str]:
        """The headers Slack sends with ``body``: signed with ``secret`` (default :attr:`signing_secret`)
        at ``timestamp`` (default now)."""
        sent = str(int(time.time()) if timestamp is None else timestamp)
        key = (self.signing_secret if secret is None else secret).encode()
        signature = "v0=" + hmac.new(key, f"v0:{sent}:".encode() + body, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": sent,
            "X-Slack-Signature": signature,
        }

    def app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.post("/services/{team}/{bot}/{secret}")
        async def incoming_webhook(request: Request, team: str, bot: str, secret: str) -> Response:
            if request.url.path != WEBHOOK_PATH:
                return PlainTextResponse("no_service", status_code=404)
            try:
                message = json.loads(await request.body())
            except ValueError:
                return PlainTextResponse("invalid_payload", status_code=400)
            if not isinstance(message, dict):
                return PlainTextResponse("invalid_payload", status_code=400)
            if not message.get("text") and not message.get("blocks"):
                return PlainTextResponse("no_text", status_code=400)
            if not self.webhook_channel_exists:
                return PlainTextResponse("channel_not_found", status_code=404)
            if block_errors(message.get("blocks")):
                return PlainTextResponse("invalid_blocks", status_code=400)
            self._keep("webhook", "C0FEEDBACK", message)
            return PlainTextResponse("ok")

        @app.post("/api/chat.postMessage")
        async def post_message(request: Request) -> Response:
            raw = await request.body()
            if request.headers.get("content-type", "").startswith("application/json"):
                try:
                    message = json.loads(raw)
                except ValueError:
                    return _api_error("invalid_json")
            else:
                message = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                if isinstance(message.get("blocks"), str):
                    message["blocks"] = json.loads(message["blocks"])
            authorization = request.headers.get("authorization", "")
            token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
            token = token or message.get("token")
            if not token:
                return _api_error("not_authed")
            if token != self.token:
                return _api_error("invalid_auth")
            channel = self._channel(str(message.get("channel") or ""))
            if channel is None:
                return _api_error("channel_not_found")
            if channel not in self.member_of:
                return _api_error("not_in_channel")
            if not message.get("text") and not message.get("blocks"):
                return _api_error("no_text")
            problems = block_errors(message.get("blocks"))
            if problems:
                return JSONResponse(
                    {
                        "ok": False,
                        "error": "invalid_blocks",
                        "errors": problems,
                        "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
                    }
                )
            ts = self._keep("api", channel, message)
            kept = {"type": "message", "text": message.get("text", ""), "blocks": message.get("blocks", [])}
            return JSONResponse({"ok": True, "channel": channel, "ts": ts, "message": {**kept, "ts": ts}})

        return app

    def _channel(self, name_or_id: str) -> str | None:
        name = name_or_id.removeprefix("#")
        with self._state:
            if name in self.channels:
                return name
            return next((cid for cid, cname in self.channels.items() if cname == name), None)

    def _keep(self, via: str, channel: str, message: dict[str, Any]) -> str:
        with self._state:
            ts = f"1700000000.{next(self._ts):06d}"
            self.messages.append(
                {
                    "via": via,
                    "channel": channel,
                    "ts": ts,
                    "text": message.get("text"),
                    "blocks": message.get("blocks"),
                    "thread_ts": message.get("thread_ts"),  # a reply in that message's thread
                }
            )
        return ts


def _api_error(error: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": error})


def block_errors(blocks: Any) -> list[str]:
    """Problems with a ``blocks`` array, worded like Slack's ``invalid_blocks`` details."""
    if blocks is None:
        return []
    if not isinstance(blocks, list) or len(blocks) > 50:
        return ["must be an array of at most 50 blocks [json-pointer:/blocks]"]
    problems: list[str] = []
    for number, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{number}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or not 1 <= len(text.get("text", "")) <= 150:
                problems.append(f"must be plain_text of 1 to 150 characters {where}/text]")
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"must provide text or fields {where}]")
            if "text" in block and not _text_ok(block["text"], 3000):
                problems.append(f"must be a text object of at most 3000 characters {where}/text]")
            fields = block.get("fields", [])
            if len(fields) > 10 or not all(_text_ok(f, 2000) for f in fields):
                problems.append(f"must be at most 10 text objects of at most 2000 characters {where}/fields]")
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 10 or not all(_text_ok(e, 3000) for e in elements):
                problems.append(f"must have 1 to 10 text elements {where}/elements]")
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                problems.append(f"must have 1 to 25 elements {where}/elements]")
            for element in elements:
                text = element.get("text") or {}
                if element.get("type") != "button" or text.get("type") != "plain_text":
                    problems.append(f"must be a button with plain_text {where}/elements]")
                elif len(text.get("text", "")) > 75 or len(element.get("url", "")) > 3000:
                    problems.append(f"button text or url too long {where}/elements]")
        elif kind == "rich_text":
            for element in block.get("elements", []):
                inner = element.get("elements", [])
                if element.get("type") not in RICH_TEXT_ELEMENTS or not inner:
                    problems.append(f"must be a rich text element with elements {where}/elements]")
                elif not all(
                    isinstance(e.get("text"), str) and e["text"] for e in inner if e.get("type") == "text"
                ):
                    problems.append(f"text elements need a non-empty text {where}/elements]")
        elif kind != "divider":
            problems.append(f"unsupported block type {kind!r} {where}/type]")
    return problems


def _text_ok(text: Any, limit: int) -> bool:
    return (
        isinstance(text, dict) and text.get("type") in TEXT_TYPES and 1 <= len(text.get("text", "")) <= limit
    )
