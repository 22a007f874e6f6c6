"""Outgoing webhooks: JSON POSTs to any URL, for users who wire their own systems, signed as Standard
Webhooks sign (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``).

Usage::

    from integrations.webhook import WebhookConfig, WebhookNotifier

    with WebhookNotifier(WebhookConfig(url="https://example.com/hook", secret="whsec_...")) as hook:
        delivery_id = hook.send(notification)

    # on the receiving side, with the raw body bytes and any Standard Webhooks library, e.g.
    # standardwebhooks.Webhook("whsec_...").verify(raw_body, request.headers)
"""

from integrations.webhook.notifier import (
    EVENT_HEADER,
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookConfig,
    WebhookNotifier,
    sign,
    signing_key,
)
from integrations.webhook.plugin import WebhookOutlet, WebhookSettings, WebhookSink

__all__ = [
    "EVENT_HEADER",
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookConfig",
    "WebhookNotifier",
    "WebhookOutlet",
    "WebhookSettings",
    "WebhookSink",
    "sign",
    "signing_key",
]
