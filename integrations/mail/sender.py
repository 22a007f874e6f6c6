"""SMTP with the standard library: STARTTLS and login when configured, errors mapped to ours."""

import smtplib
import socket
from email.message import EmailMessage
from email.utils import make_msgid

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from integrations._http import Closable
from integrations.errors import PermanentIntegrationError, RetryableIntegrationError, UnclearOutcomeError


class MailConfig(BaseModel):
    """How to reach the SMTP server.

    Attributes:
        host, port: the server (587 with STARTTLS is usual; 25 inside a network).
        username, password: log in when a username is given.
        sender: the From address.
        starttls: upgrade the connection with STARTTLS before logging in.
        timeout: seconds for the connection and each answer.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # a password inside

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    username: str = ""
    password: SecretStr = SecretStr("")
    sender: str = Field(min_length=3)
    starttls: bool = True
    timeout: float = Field(default=10.0, gt=0)


class MailSettings(BaseModel):
    """The service's SMTP settings, ``FEEDBACK_ROUTER_MAIL__<FIELD>``: no host or sender, no e-mail."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # a password inside

    host: str | None = Field(default=None, description="SMTP server for e-mail to authors; unset: none")
    port: int = Field(default=587, ge=1, le=65535)
    username: str = ""
    password: SecretStr = SecretStr("")
    sender: str = Field(default="", description="From address of e-mail to authors")
    starttls: bool = True


class MailSender(Closable):
    """Sends one plain-text e-mail per call; a connection per message (notices are few)."""

    def __init__(self, config: MailConfig) -> None:
        self.config = config

    def send(self, to: str, subject: str, text: str) -> str:
        """Send a message; returns its Message-ID.

        Raises:
            RetryableIntegrationError: the server is unreachable or answered 4xx (try later);
                ``UnclearOutcomeError`` when the connection broke after the message was handed over.
            PermanentIntegrationError: 5xx (an unknown recipient, a refused login, ...).
        """
        config = self.config
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = config.sender, to, subject
        message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
        message.set_content(text)
        where = f"SMTP {config.host}:{config.port}"
        handed_over = False
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
                if config.starttls:
                    smtp.starttls()
                if config.username:
                    smtp.login(config.username, config.password.get_secret_value())
                handed_over = True
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            said = exc.smtp_error
            answer = said.decode(errors="replace") if isinstance(said, bytes) else said
            reason = f"{where}: {exc.smtp_code} {answer}"
            if 400 <= exc.smtp_code < 500:
                raise RetryableIntegrationError(reason) from None
            raise PermanentIntegrationError(reason) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentIntegrationError(f"{where}: recipient refused: {to}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            error = UnclearOutcomeError if handed_over and not isinstance(exc, socket.gaierror) else None
            reason = f"{where}: {type(exc).__name__}: {exc}"
            raise (error or RetryableIntegrationError)(reason) from None
        return str(message["Message-ID"])

    def close(self) -> None:
        """Nothing to close: each message has its own connection."""
