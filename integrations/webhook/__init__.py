"""Outgoing webhooks: signed JSON POSTs to any URL, for users who wire their own systems.

Usage::

    from integrations.webhook import WebhookConfig, WebhookNotifier, verify_signature

    with WebhookNotifier(WebhookConfig(url="https://example.com/hook", secret="s3cret")) as hook:
        delivery_id = hook.send(notification)

    # on the receiving side, with the raw body bytes:
    verify_signature("s3cret", raw_body, request.headers.get("X-Feedback-Router-Signature"))
"""

from integrations.webhook.notifier import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookConfig,
    WebhookNotifier,
    sign,
    verify_signature,
)

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "WebhookConfig",
    "WebhookNotifier",
    "sign",
    "verify_signature",
]
