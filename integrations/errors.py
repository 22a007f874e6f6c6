"""What can go wrong when we talk to an outside system, sorted by what the caller should do next.

::

    IntegrationError                      base: catch this to handle every integration failure
    ├── RetryableIntegrationError         try again later; ``retry_after`` seconds if the remote said so
    │   │                                 (timeouts, connection refused, 5xx, 408, 429/503 + Retry-After)
    │   └── UnclearOutcomeError           the request may have been acted on (read timeout after sending,
    │                                     connection dropped mid-answer): look the ticket up by our
    │                                     label before creating it again
    └── PermanentIntegrationError         retrying will not help: invalid field (400), 401, 403,
                                          unknown project or channel (404, Slack ``channel_not_found``),
                                          bad configuration

Outside the tree, :class:`WebhookPayloadError` (a ``ValueError``) says that a delivery *to* us (a Jira or
Discourse webhook, a Slack interaction) could not be read; the receiving route answers it with 400.
:class:`WebhookSignatureError` (a ``ValueError`` too) says that a request *to* us is not signed by its
sender, or not recently; the receiving route answers it with 401.

Every message is meant for a person: it names the system and the operation and carries the remote
reason (Jira's ``errorMessages`` and ``errors``, Slack's error string), never a token or a secret URL.
The remote HTTP status, when there was one, is in ``status_code``.
"""

from __future__ import annotations

__all__ = [
    "IntegrationError",
    "PermanentIntegrationError",
    "RetryableIntegrationError",
    "UnclearOutcomeError",
    "WebhookPayloadError",
    "WebhookSignatureError",
]


class IntegrationError(Exception):
    """An outside system could not do what we asked.

    Args:
        message: human-readable, with the remote reason; never secrets.
        status_code: the remote HTTP status, if the remote answered at all.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message


class RetryableIntegrationError(IntegrationError):
    """A temporary failure: the same request may succeed later.

    Args:
        message: human-readable, with the remote reason.
        retry_after: seconds to wait before the next attempt when the remote said so
            (``Retry-After``), else ``None`` and the caller's backoff decides.
        status_code: the remote HTTP status, if any.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class UnclearOutcomeError(RetryableIntegrationError):
    """The request left us, but we do not know whether the remote acted on it.

    Retrying a create blindly can duplicate the ticket: first look it up by our label
    (``TicketSink.find``), and create only when it is not there. Jira Cloud's search is eventually
    consistent, so ``retry_after`` suggests how long to wait before that look-up.
    """


class PermanentIntegrationError(IntegrationError):
    """The request is wrong or not allowed; sending it again will fail again.

    Fix the configuration (URL, token, project, channel) or the data, then try again.
    """


class WebhookPayloadError(ValueError):
    """A webhook body that is not what its sender documents (not JSON, a required field missing).

    Raised by the parsers of incoming deliveries, never by a call we make; the message names what is
    wrong, never the secret.
    """


class WebhookSignatureError(ValueError):
    """A request to us whose signature is missing, wrong or too old (Slack's signed requests).

    The message says which header is wrong and why, for the sender's admin; never the secret.
    """
