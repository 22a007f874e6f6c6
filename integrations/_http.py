"""Shared HTTP helpers: map statuses and transport failures to the classes in integrations.errors."""

from __future__ import annotations

import email.utils
import time
from types import TracebackType
from typing import Self

import httpx

from integrations.errors import (
    IntegrationError,
    PermanentIntegrationError,
    RetryableIntegrationError,
    UnclearOutcomeError,
)

# 408 and 425 mean "the server gave up waiting / is not ready": the same request can succeed later.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "feedback-router"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date; ``None`` if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_for_status(
    where: str, status: int, reason: str, retry_after_header: str | None = None
) -> IntegrationError:
    """The error for a non-2xx answer: retryable for 408/425/429/5xx, permanent for the rest.

    Args:
        where: the system and operation, e.g. ``"Jira: create issue in FR"``.
        status: the HTTP status.
        reason: the remote's own words (error strings, messages), already free of secrets.
        retry_after_header: the raw ``Retry-After`` header, if any.
    """
    detail = f"{where} failed with HTTP {status}" + (f": {reason}" if reason else "")
    if status in RETRYABLE_STATUSES or status >= 500:
        retry_after = parse_retry_after(retry_after_header)
        if retry_after is not None:
            detail += f" (retry after {retry_after:g} s)"
        return RetryableIntegrationError(detail, retry_after=retry_after, status_code=status)
    return PermanentIntegrationError(detail, status_code=status)


def error_for_transport(
    where: str, exc: httpx.HTTPError | httpx.InvalidURL, *, writes: bool = True
) -> IntegrationError:
    """The error for an httpx failure without an answer.

    Failing to connect is plainly retryable; once a request that ``writes`` may have reached the remote
    (a read or write timeout, a dropped connection) the outcome is unclear. A read that got no answer
    changed nothing, so it is plainly retryable too.
    """
    kind = type(exc).__name__
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return PermanentIntegrationError(f"{where}: the configured URL cannot be used ({kind}: {exc})")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return RetryableIntegrationError(f"{where}: could not connect ({kind}: {exc})")
    if not writes:
        return RetryableIntegrationError(f"{where}: no complete answer ({kind}: {exc})")
    return UnclearOutcomeError(
        f"{where}: no complete answer, the remote may have acted on the request ({kind}: {exc})"
    )


class Closable:
    """``with`` support for a client: leaving the block calls ``close()``."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
