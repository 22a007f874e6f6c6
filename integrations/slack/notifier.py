"""SlackNotifier: one Block Kit message per notification, by incoming webhook or chat.postMessage."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx

from integrations._http import USER_AGENT, Closable, error_for_status, error_for_transport
from integrations.base import Notification
from integrations.errors import (
    IntegrationError,
    PermanentIntegrationError,
    RetryableIntegrationError,
    UnclearOutcomeError,
)
from integrations.redact import redact
from integrations.slack.config import SlackConfig

logger = logging.getLogger(__name__)

# Web API errors (HTTP 200, "ok": false) worth another try; every other error string is permanent
# (channel_not_found, not_in_channel, invalid_auth, invalid_blocks, msg_too_long, ...).
RETRYABLE_API_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable"}
)

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks)
HEADER_MAX = 150
QUOTE_MAX = 3000
FIELD_MAX = 2000
FIELDS_MAX = 10
FALLBACK_MAX = 300


class SlackNotifier(Closable):
    """A :class:`~integrations.base.Notifier` that posts to Slack.

    With ``config.webhook_url`` it posts to the incoming webhook (Slack answers ``ok`` as text, errors
    as text with 4xx); with ``config.bot_token`` it calls ``chat.postMessage`` (Slack answers HTTP 200
    with ``{"ok": false, "error": ...}`` for most errors). Both answer 429 with ``Retry-After``.
    Close it (or use it as a context manager) to release connections.

    Args:
        config: where and how to post.
    """

    config_class: ClassVar[type[SlackConfig]] = SlackConfig

    def __init__(self, config: SlackConfig) -> None:
        self.config = config
        self._http = httpx.Client(
            timeout=config.timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        )

    def send(self, notification: Notification, channel: str | None = None) -> str | None:
        """Post one message.

        Args:
            notification: what to say.
            channel: channel id or ``#name`` (bot token only; default ``config.default_channel``).
                An incoming webhook always posts to its own channel, so naming one is an error there.

        Returns:
            ``"<channel id>/<ts>"`` for a bot-token message (what ``chat.update`` or a thread reply
            needs), ``None`` for an incoming webhook, which returns no reference.

        Raises:
            RetryableIntegrationError: 429 (``retry_after`` from ``Retry-After``), 5xx, Slack's
                ``ratelimited``/``internal_error``, connection failures (``UnclearOutcomeError``
                when the message may have been posted).
            PermanentIntegrationError: ``channel_not_found``, ``invalid_auth``, ``invalid_payload``,
                ``invalid_blocks``, a missing or superfluous channel, ...
        """
        message = self.message(notification)
        if self.config.webhook_url is not None:
            if channel is not None:
                raise PermanentIntegrationError(
                    "Slack: an incoming webhook posts to the channel it was created for; "
                    "configure a bot token to choose the channel per message"
                )
            self._post_webhook(self.config.webhook_url.get_secret_value(), message)
            return None
        target = channel or self.config.default_channel
        if not target:
            raise PermanentIntegrationError("Slack: no channel given and no default_channel configured")
        if self.config.bot_token is None:  # unreachable: the config holds exactly one of the two
            raise PermanentIntegrationError("Slack: neither webhook_url nor bot_token is configured")
        return self._post_message(target, message, self.config.bot_token.get_secret_value())

    def reply(self, channel: str, thread_ts: str, text: str) -> str:
        """Answer in a message's thread (a bot token is needed: incoming webhooks cannot reply).

        Args:
            channel: the channel id of the message.
            thread_ts: the ``ts`` of the message that starts the thread.
            text: plain text; redacted when ``config.redact`` is set.

        Returns:
            ``"<channel id>/<ts>"`` of the reply.

        Raises:
            RetryableIntegrationError, PermanentIntegrationError: as for :meth:`send`.
        """
        if self.config.bot_token is None:
            raise PermanentIntegrationError(
                "Slack: replying in a thread needs a bot token, not an incoming webhook"
            )
        clean = redact if self.config.redact else _same
        message = {"text": clean(text), "thread_ts": thread_ts}
        return self._post_message(channel, message, self.config.bot_token.get_secret_value())

    def message(self, notification: Notification) -> dict[str, Any]:
        """The JSON message (``text`` fallback and ``blocks``) that :meth:`send` posts."""
        clean = redact if self.config.redact else _same
        title = " ".join(clean(notification.title).split()) or "Feedback"
        text = clean(notification.text).strip()
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_MAX), "emoji": True}}
        ]
        if text:
            quote = {"type": "rich_text_quote", "elements": [{"type": "text", "text": _cut(text, QUOTE_MAX)}]}
            blocks.append({"type": "rich_text", "elements": [quote]})
        context = []
        if notification.author:
            context.append(f"*From:* {escape_mrkdwn(clean(notification.author))}")
        if notification.source:
            context.append(f"*Source:* {escape_mrkdwn(notification.source)}")
        if notification.link is not None:
            context.append(_link(str(notification.link), "original post"))
        if context:
            blocks.append({"type": "context", "elements": [_mrkdwn(_cut("  ·  ".join(context), QUOTE_MAX))]})
        if notification.labels:
            fields = []
            for name, label in list(notification.labels.items())[:FIELDS_MAX]:
                confidence = "" if label.confidence is None else f" ({label.confidence:.0%})"
                field = f"*{escape_mrkdwn(name)}*\n{escape_mrkdwn(label.value)}{confidence}"
                fields.append(_mrkdwn(_cut(field, FIELD_MAX)))
            blocks.append({"type": "section", "fields": fields})
        if notification.reason:
            reason = _cut(f"*Why here:* {escape_mrkdwn(clean(notification.reason))}", FIELD_MAX)
            blocks.append({"type": "context", "elements": [_mrkdwn(reason)]})
        if notification.item_url is not None:
            button = {
                "type": "button",
                "action_id": "open_item",
                "text": {"type": "plain_text", "text": "Open in feedback router"},
                "url": str(notification.item_url),
            }
            blocks.append({"type": "actions", "elements": [button]})
        fallback = escape_mrkdwn(_cut(f"{title}: {text}" if text else title, FALLBACK_MAX))
        return {"text": fallback, "blocks": blocks}

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    # -- internals ----------------------------------------------------------------------------

    def _post_webhook(self, url: str, message: dict[str, Any]) -> None:
        where = "Slack incoming webhook"
        response = self._request(where, url, message, headers={})
        if not response.is_success:
            raise self._status_error(where, response, response.text.strip()[:200])

    def _post_message(self, channel: str, message: dict[str, Any], token: str) -> str:
        where = f"Slack chat.postMessage to {channel}"
        url = str(self.config.api_url).rstrip("/") + "/chat.postMessage"
        headers = {"Authorization": f"Bearer {token}"}
        body = {"channel": channel, "unfurl_links": False, "unfurl_media": False, **message}
        response = self._request(where, url, body, headers=headers)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not response.is_success:
            error = answer.get("error", "") if isinstance(answer, dict) else response.text.strip()[:200]
            raise self._status_error(where, response, error)
        if not isinstance(answer, dict):  # a 2xx we cannot read: the message may be posted
            raise UnclearOutcomeError(f"{where}: Slack's answer is not JSON (HTTP {response.status_code})")
        if answer.get("ok"):
            warning = answer.get("warning")
            if warning:
                logger.info("Slack accepted the message with a warning: %s", warning)
            return f"{answer.get('channel', channel)}/{answer['ts']}"
        error = str(answer.get("error", "unknown_error"))
        details = answer.get("errors") or answer.get("response_metadata", {}).get("messages") or []
        reason = error + (f" ({'; '.join(map(str, details))})" if details else "")
        if error in RETRYABLE_API_ERRORS:
            raise RetryableIntegrationError(f"{where} failed: {reason}", status_code=response.status_code)
        raise PermanentIntegrationError(f"{where} failed: {reason}", status_code=response.status_code)

    def _request(self, where: str, url: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        try:
            return self._http.post(url, json=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise error_for_transport(where, exc) from exc

    @staticmethod
    def _status_error(where: str, response: httpx.Response, reason: str) -> IntegrationError:
        return error_for_status(where, response.status_code, reason, response.headers.get("Retry-After"))


def _same(text: str) -> str:
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape_mrkdwn(text: str) -> str:
    """Slack mrkdwn needs &, < and > escaped; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{escape_mrkdwn(label)}>"


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}
