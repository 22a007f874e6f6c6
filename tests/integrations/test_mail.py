"""The SMTP sender against a local SMTP server (tests/fakes/smtp.py)."""

import socket

import pytest

from integrations.errors import PermanentIntegrationError, RetryableIntegrationError
from integrations.mail import MailConfig, MailSender


def config(fake_smtp, **overrides):  # type: ignore[no-untyped-def]
    values = {
        "host": fake_smtp.host,
        "port": fake_smtp.port,
        "sender": "community@example.org",
        "starttls": False,
    }
    return MailConfig(**{**values, **overrides})


def test_a_message_arrives_with_sender_recipient_subject_and_text(fake_smtp):
    with MailSender(config(fake_smtp)) as mail:
        message_id = mail.send("jane@example.org", "Your feedback was resolved", "Hi Jane, thank you! ✓")

    [message] = fake_smtp.messages
    assert (message["From"], message["To"]) == ("community@example.org", "jane@example.org")
    assert message["Subject"] == "Your feedback was resolved" and message["Message-ID"] == message_id
    assert message.get_payload(decode=True).decode().strip() == "Hi Jane, thank you! ✓"


def test_a_refused_recipient_is_permanent_and_an_unreachable_server_passing(fake_smtp):
    fake_smtp.refuse.add("nobody@example.org")
    with pytest.raises(PermanentIntegrationError, match="nobody@example.org|550"):
        MailSender(config(fake_smtp)).send("nobody@example.org", "s", "t")

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(RetryableIntegrationError, match="SMTP 127.0.0.1"):
        MailSender(config(fake_smtp, port=closed, timeout=1)).send("jane@example.org", "s", "t")
