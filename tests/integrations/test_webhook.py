"""WebhookNotifier, unchanged, against a local receiver that checks the signature on its own."""

from __future__ import annotations

import email.utils
import json
import socket
import time
from collections.abc import Iterator

import pytest

from integrations.base import LabelValue, Notification, Notifier
from integrations.errors import PermanentIntegrationError, RetryableIntegrationError, UnclearOutcomeError
from integrations.webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookConfig,
    WebhookNotifier,
    sign,
    verify_signature,
)
from tests.fakes.server import Hang, Reply
from tests.fakes.webhook import PATH, FakeWebhookReceiver

NOTIFICATION = Notification(
    title="Praise from the app store",
    text="Löve the new export! Call me: 0176 1234567",
    author="jürgen",
    source="app_review",
    labels={"sentiment": LabelValue(value="positive", confidence=0.98)},
)


@pytest.fixture
def notifier(fake_webhook: FakeWebhookReceiver) -> Iterator[WebhookNotifier]:
    config = WebhookConfig(url=fake_webhook.hook_url, secret=fake_webhook.secret, timeout=5)
    with WebhookNotifier(config) as webhook_notifier:
        yield webhook_notifier


def test_send_posts_signed_json_that_the_receiver_verifies(
    fake_webhook: FakeWebhookReceiver, notifier: WebhookNotifier
) -> None:
    assert isinstance(notifier, Notifier)

    delivery_id = notifier.send(NOTIFICATION)

    [delivery] = fake_webhook.deliveries
    assert delivery.signature_valid  # checked by the receiver with its own HMAC code
    assert verify_signature(fake_webhook.secret, delivery.body, delivery.headers[SIGNATURE_HEADER.lower()])
    assert delivery.headers[DELIVERY_HEADER.lower()] == delivery_id
    assert delivery.headers[EVENT_HEADER.lower()] == "notification"
    assert delivery.headers["content-type"] == "application/json"
    body = delivery.json()
    assert body["event"] == "notification"
    assert body["notification"]["text"] == "Löve the new export! Call me: [phone]"
    assert body["notification"]["labels"] == {"sentiment": {"value": "positive", "confidence": 0.98}}
    assert "Löve".encode() in delivery.body  # UTF-8 as is, not \\u escapes


def test_deliver_sends_any_document_and_keeps_the_delivery_id(
    fake_webhook: FakeWebhookReceiver, notifier: WebhookNotifier
) -> None:
    payload = {"ticket": {"key": "FR-1", "status": "Done"}, "mail": "kept@example.org"}

    assert notifier.deliver(payload, event="ticket.done", delivery_id="d-1") == "d-1"
    assert notifier.deliver(payload, event="ticket.done", delivery_id="d-1") == "d-1"

    first, second = fake_webhook.deliveries
    assert first.body == second.body == json.dumps(payload, separators=(",", ":")).encode()
    assert [d.headers[DELIVERY_HEADER.lower()] for d in fake_webhook.deliveries] == ["d-1", "d-1"]
    assert all(d.signature_valid for d in fake_webhook.deliveries)


def test_a_wrong_secret_is_rejected_by_the_receiver_and_permanent(fake_webhook: FakeWebhookReceiver) -> None:
    config = WebhookConfig(url=fake_webhook.hook_url, secret="not-the-secret")
    with (
        WebhookNotifier(config) as wrong,
        pytest.raises(PermanentIntegrationError, match="HTTP 401") as raised,
    ):
        wrong.send(NOTIFICATION)
    assert "not-the-secret" not in str(raised.value)
    assert fake_webhook.deliveries == []


def test_verify_signature() -> None:
    body = b'{"a":1}'
    header = sign("s3cret", body)

    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature("s3cret", body, header)
    assert verify_signature(b"s3cret", body, header.upper().replace("SHA256=", "sha256="))
    assert not verify_signature("other", body, header)
    assert not verify_signature("s3cret", b'{"a":2}', header)
    assert not verify_signature("s3cret", body + b" ", header)
    assert not verify_signature("s3cret", body, None)
    assert not verify_signature("s3cret", body, "")
    assert not verify_signature("s3cret", body, header.removeprefix("sha256="))
    assert not verify_signature("s3cret", body, "sha1=" + header.removeprefix("sha256="))


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("reply", "error", "retry_after"),
    [
        (Reply(429, "slow down", {"Retry-After": "2"}), RetryableIntegrationError, 2.0),
        (Reply(503, "maintenance", {"Retry-After": "120"}), RetryableIntegrationError, 120.0),
        (Reply(500, "oops"), RetryableIntegrationError, None),
        (Reply(408, "request timeout"), RetryableIntegrationError, None),
        (Reply(400, "bad request"), PermanentIntegrationError, None),
        (Reply(404, "not found"), PermanentIntegrationError, None),
        (Reply(410, "gone"), PermanentIntegrationError, None),
        (Reply(301, "", {"Location": "https://elsewhere.example.org/"}), PermanentIntegrationError, None),
    ],
)
def test_answers_map_to_retryable_or_permanent(
    fake_webhook: FakeWebhookReceiver,
    notifier: WebhookNotifier,
    reply: Reply,
    error: type[Exception],
    retry_after: float | None,
) -> None:
    fake_webhook.script("POST", PATH, reply)

    with pytest.raises(error) as raised:
        notifier.send(NOTIFICATION)

    assert type(raised.value) is error
    if isinstance(raised.value, RetryableIntegrationError):
        assert raised.value.retry_after == retry_after
    assert str(reply.status) in str(raised.value)


def test_retry_after_as_an_http_date(fake_webhook: FakeWebhookReceiver, notifier: WebhookNotifier) -> None:
    fake_webhook.script("POST", PATH, Reply(503, "", {"Retry-After": _http_date(60)}))

    with pytest.raises(RetryableIntegrationError) as raised:
        notifier.send(NOTIFICATION)

    assert raised.value.retry_after is not None and 55 <= raised.value.retry_after <= 60


def test_no_answer_in_time_is_an_unclear_outcome(fake_webhook: FakeWebhookReceiver) -> None:
    fake_webhook.script("POST", PATH, Hang(seconds=30))
    config = WebhookConfig(url=fake_webhook.hook_url, secret=fake_webhook.secret, timeout=0.5)

    with WebhookNotifier(config) as impatient, pytest.raises(UnclearOutcomeError):
        impatient.send(NOTIFICATION, delivery_id="d-7")

    [delivery] = fake_webhook.deliveries  # it arrived: a retry with d-7 lets the receiver drop the copy
    assert delivery.headers[DELIVERY_HEADER.lower()] == "d-7"


def test_a_refused_connection_is_retryable_not_unclear() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = WebhookConfig(url=f"http://127.0.0.1:{port}/hook", secret="s", timeout=0.5)

    with WebhookNotifier(config) as unreachable, pytest.raises(RetryableIntegrationError) as raised:
        unreachable.send(NOTIFICATION)

    assert not isinstance(raised.value, UnclearOutcomeError)
