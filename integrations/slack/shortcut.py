"""Requests from Slack's interactivity: check the signature, read a message shortcut (a
:class:`MessageShortcut`).

Slack POSTs every interaction of an app (shortcuts, buttons, modals) to the app's *Interactivity
request URL*, form-encoded, with one field ``payload`` that holds JSON. Two headers sign it:

- ``X-Slack-Request-Timestamp``: Unix seconds when Slack sent it; more than five minutes off our clock
  means a replay (or a wrong clock), refused;
- ``X-Slack-Signature``: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` with the app's
  signing secret.

A *message shortcut* (``"type": "message_action"``) says which shortcut (``callback_id``), who used it
(``user``), on which message (``message``, with its ``ts``, ``thread_ts`` for a reply in a thread,
``user`` and ``user_profile`` of its author), in which channel (``channel``) and workspace (``team``).
Slack wants an answer within three seconds; anything that calls Slack back comes later.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, quote

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from integrations._webhooks import Secret
from integrations.errors import WebhookPayloadError, WebhookSignatureError

__all__ = [
    "MAX_AGE_SECONDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "MessageShortcut",
    "OtherInteraction",
    "parse_interaction",
    "permalink",
    "plain_text",
    "sign_slack_request",
    "verify_slack_request",
]

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
MAX_AGE_SECONDS = 300  # Slack's own advice: five minutes either way
VERSION = "v0"


def sign_slack_request(secret: Secret, timestamp: str, raw_body: bytes) -> str:
    """``v0=`` + the hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` with the signing secret."""
    plain = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    key = plain.encode() if isinstance(plain, str) else plain
    base = f"{VERSION}:{timestamp}:".encode() + raw_body
    return f"{VERSION}=" + hmac.new(key, base, hashlib.sha256).hexdigest()


def verify_slack_request(
    secret: Secret | None,
    raw_body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: float | None = None,
) -> None:
    """Check that Slack sent this request just now.

    Args:
        secret: the app's signing secret (Basic Information → App Credentials); a missing or empty one
            never verifies.
        raw_body: the request body exactly as received, before any form decoding.
        timestamp: the ``X-Slack-Request-Timestamp`` header; ``None`` when it was missing.
        signature: the ``X-Slack-Signature`` header, ``v0=<hex>``; ``None`` when it was missing.
        now: the current Unix time (for tests); default the clock.

    Raises:
        WebhookSignatureError: a header missing, a timestamp more than five minutes from ``now`` (in
            either direction), or a signature that is not the body's (compared in constant time).
    """
    plain = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not plain:
        raise WebhookSignatureError("Slack request refused: no signing secret to check it with")
    if not timestamp or not signature:
        missing = TIMESTAMP_HEADER if not timestamp else SIGNATURE_HEADER
        raise WebhookSignatureError(f"Slack request refused: the {missing} header is missing")
    try:
        sent = float(
            int(timestamp.strip())
        )  # float: a number too large for the clock's arithmetic fails here
    except (ValueError, OverflowError):
        raise WebhookSignatureError(
            f"Slack request refused: {TIMESTAMP_HEADER} is not Unix seconds"
        ) from None
    skew = (time.time() if now is None else now) - sent
    if abs(skew) > MAX_AGE_SECONDS:
        when = "old" if skew > 0 else "in the future"
        raise WebhookSignatureError(
            f"Slack request refused: its {TIMESTAMP_HEADER} is {abs(skew):.0f} s {when}, more than "
            f"{MAX_AGE_SECONDS // 60} minutes (a replay, or a clock that is wrong)"
        )
    expected = sign_slack_request(plain, timestamp.strip(), raw_body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise WebhookSignatureError(
            f"Slack request refused: the {SIGNATURE_HEADER} signature is wrong (check the signing secret)"
        )


# -- the payload ------------------------------------------------------------------------------


class _Named(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    name: str | None = None
    username: str | None = None  # users have both; the legacy ``name`` is their handle
    domain: str | None = None  # teams


class _Profile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    display_name: str | None = None
    real_name: str | None = None
    name: str | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ts: str
    text: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    username: str | None = None  # bots and apps post under a name instead of a user id
    bot_id: str | None = None
    user_profile: _Profile | None = None


class _MessageActionPayload(BaseModel):
    """The part of Slack's ``message_action`` payload that we read (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str
    callback_id: str
    team: _Named
    channel: _Named
    user: _Named
    message: _Message
    response_url: str | None = None


class MessageShortcut(BaseModel):
    """A message someone sent us with a message shortcut.

    Attributes:
        callback_id: which of the app's shortcuts it was.
        team_id, team_domain: the workspace (``acme`` of ``acme.slack.com``; None when Slack left it out).
        channel_id, channel_name: where the message is (a DM's name is ``directmessage``).
        message_ts: the message's ``ts``, its id in the channel.
        thread_ts: the thread's first message when the message is a reply in a thread, else None.
        text: the message as plain text (see :func:`plain_text`); empty for a message that is only
            files or attachments.
        author_id: the author's user id (``U…``), or the bot id or name for a bot's message; None if
            Slack gave neither.
        author_name: the author's display name (or real name, or a bot's username), when Slack gave one.
        forwarded_by_id, forwarded_by_name: who used the shortcut (user id, handle).
        permalink: the message's address in the workspace (see :func:`permalink`).
        response_url: where Slack accepts messages to the one who used the shortcut, for 30 minutes.
    """

    model_config = ConfigDict(frozen=True)

    callback_id: str
    team_id: str
    team_domain: str | None = None
    channel_id: str
    channel_name: str | None = None
    message_ts: str
    thread_ts: str | None = None
    text: str
    author_id: str | None = None
    author_name: str | None = None
    forwarded_by_id: str
    forwarded_by_name: str | None = None
    permalink: str | None = None
    response_url: str | None = None

    @property
    def external_id(self) -> str:
        """``{channel id}:{ts}``: the message's id across the workspace."""
        return f"{self.channel_id}:{self.message_ts}"


class OtherInteraction(BaseModel):
    """Any other interaction (a global shortcut, a button, a modal): nothing we read."""

    model_config = ConfigDict(frozen=True)

    type: str
    callback_id: str | None = None


def permalink(team_domain: str, channel_id: str, ts: str, thread_ts: str | None = None) -> str:
    """The message's link as Slack's ``chat.getPermalink`` builds it, without calling Slack.

    ``https://{domain}.slack.com/archives/{channel}/p{ts without the dot}``; a reply in a thread adds
    ``?thread_ts={thread}&cid={channel}`` so that Slack opens it in its thread.
    """
    link = f"https://{quote(team_domain)}.slack.com/archives/{quote(channel_id)}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={quote(thread_ts)}&cid={quote(channel_id)}"
    return link


_ANGLED = re.compile(r"<([^<>]*)>")


def _unangle(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # <@U123> or <@U123|anna>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123|general>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S123|@team>, <!date^...|fallback>
        if label:
            return label
        return "@" + target[1:].split("^")[0]
    return label or target  # <https://…|label> or <https://…>, <mailto:…|…>


def plain_text(mrkdwn: str) -> str:
    """A message's text as a person reads it: ``<@U1|anna>`` → ``@anna``, ``<#C1|general>`` →
    ``#general``, ``<https://x|label>`` → ``label``, ``<!here>`` → ``@here``, ``&amp;`` → ``&``."""
    return html.unescape(_ANGLED.sub(_unangle, mrkdwn))


def _payload_json(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    raw = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    fields = parse_qs(raw, keep_blank_values=True)
    if "payload" not in fields:
        raise WebhookPayloadError(
            "Slack interaction has no 'payload' field (expected a form-encoded body with payload=<JSON>)"
        )
    try:
        document = json.loads(fields["payload"][0])
    except ValueError as exc:
        raise WebhookPayloadError(f"Slack interaction's payload is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise WebhookPayloadError("Slack interaction's payload is not a JSON object")
    return document


def parse_interaction(body: bytes | str | Mapping[str, Any]) -> MessageShortcut | OtherInteraction:
    """Read an interaction request; a message shortcut in full, anything else by its type.

    Args:
        body: the raw form-encoded body (verify it first), or the already decoded payload JSON.

    Returns:
        A :class:`MessageShortcut` for ``"type": "message_action"``; an :class:`OtherInteraction` for
        every other type, which the caller acknowledges and ignores.

    Raises:
        WebhookPayloadError: no ``payload`` field, a payload that is not a JSON object, no ``type``, or a
            message shortcut without the fields it always has (``team.id``, ``channel.id``, ``user.id``,
            ``message.ts``, ``callback_id``).
    """
    document = _payload_json(body)
    kind = document.get("type")
    if not isinstance(kind, str) or not kind:
        raise WebhookPayloadError("Slack interaction's payload has no 'type'")
    if kind != "message_action":
        callback = document.get("callback_id")
        return OtherInteraction(type=kind, callback_id=callback if isinstance(callback, str) else None)
    try:
        action = _MessageActionPayload.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise WebhookPayloadError(f"Slack message shortcut is incomplete: {problems}") from None
    message, profile = action.message, action.message.user_profile
    author_name = None
    if profile is not None:
        author_name = profile.display_name or profile.real_name or profile.name
    author_name = author_name or message.username
    domain = action.team.domain or None
    return MessageShortcut(
        callback_id=action.callback_id,
        team_id=action.team.id,
        team_domain=domain,
        channel_id=action.channel.id,
        channel_name=action.channel.name,
        message_ts=message.ts,
        thread_ts=message.thread_ts if message.thread_ts and message.thread_ts != message.ts else None,
        text=plain_text(message.text or "").strip(),
        author_id=message.user or message.bot_id or message.username,
        author_name=author_name or None,
        forwarded_by_id=action.user.id,
        forwarded_by_name=action.user.username or action.user.name,
        permalink=permalink(domain, action.channel.id, message.ts, message.thread_ts) if domain else None,
        response_url=action.response_url,
    )
