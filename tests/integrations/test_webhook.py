"""WebhookNotifier, unchanged, against a local receiver that checks the Standard Webhooks signature itself."""

from __future__ import annotations

import base64
import email.utils
import json
import socket
import time
from collections.abc import Iterator

import pytest

from integrations.base import LabelValue, Notification, Notifier
from integrations.errors import PermanentIntegrationError, RetryableIntegrationError, UnclearOutcomeError
from integrations.webhook import (
    EVENT_HEADER,
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookConfig,
    WebhookNotifier,
    sign,
)
from tests.fakes.server import Hang, Reply
from tests.fakes.webhook import PATH, FakeWebhookReceiver, standard_webhooks_valid

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
    assert delivery.signature_valid  # checked by the receiver with its own code, from the specification
    assert delivery.headers[ID_HEADER] == delivery_id and delivery_id.startswith("msg_")
    assert delivery.headers[SIGNATURE_HEADER].startswith("v1,")
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
    assert [d.headers[ID_HEADER] for d in fake_webhook.deliveries] == ["d-1", "d-1"]
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


def test_the_signature_is_the_standard_webhooks_one() -> None:
    # The reference libraries' known answer (standard-webhooks, libraries/python/tests, test_sign_function).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body) != expected  # time is signed
    assert sign(secret, "msg_other", 1614265330, body) != expected  # and the id


def test_a_copy_with_a_new_timestamp_or_an_old_one_does_not_verify(
    fake_webhook: FakeWebhookReceiver, notifier: WebhookNotifier
) -> None:
    notifier.send(NOTIFICATION)
    [delivery] = fake_webhook.deliveries
    headers = {k: v for k, v in delivery.headers.items() if k.startswith("webhook-")}
    assert standard_webhooks_valid(fake_webhook.secret, delivery.body, headers)

    sent_at = int(headers[TIMESTAMP_HEADER])
    moved = {**headers, TIMESTAMP_HEADER: str(sent_at + 1)}  # an attacker cannot re-date a copy...
    old = {**headers, TIMESTAMP_HEADER: str(sent_at - 3600)}
    resigned = {
        **old,
        SIGNATURE_HEADER: sign(fake_webhook.secret, headers[ID_HEADER], sent_at - 3600, delivery.body),
    }
    assert not standard_webhooks_valid(fake_webhook.secret, delivery.body, moved)
    assert not standard_webhooks_valid(
        fake_webhook.secret, delivery.body, resigned
    )  # ...and old ones are refused
    assert not standard_webhooks_valid(fake_webhook.secret, delivery.body + b" ", headers)


def test_a_secret_without_whsec_signs_with_its_bytes_as_libraries_read_whsec_of_their_base64(
    fake_webhook: FakeWebhookReceiver,
) -> None:
    fake_webhook.secret = "whsec_" + base64.b64encode(b"an old plain secret").decode()
    with WebhookNotifier(WebhookConfig(url=fake_webhook.hook_url, secret="an old plain secret")) as plain:
        plain.send(NOTIFICATION)

    [delivery] = fake_webhook.deliveries
    assert delivery.signature_valid


def test_a_delivery_id_with_a_dot_is_refused(notifier: WebhookNotifier) -> None:
    with pytest.raises(ValueError, match="no '.'"):
        notifier.deliver({"a": 1}, event="x", delivery_id="fr-1.2")


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
    assert delivery.headers[ID_HEADER] == "d-7"


def test_a_refused_connection_is_retryable_not_unclear() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = WebhookConfig(url=f"http://127.0.0.1:{port}/hook", secret="s", timeout=0.5)

    with WebhookNotifier(config) as unreachable, pytest.raises(RetryableIntegrationError) as raised:
        unreachable.send(NOTIFICATION)

    assert not isinstance(raised.value, UnclearOutcomeError)
