"""Domain errors. Services raise these; the API maps them to HTTP in one handler."""

from collections.abc import Sequence

from pydantic import BaseModel
from pydantic_core import ErrorDetails


class DomainError(Exception):
    """Base of all errors a user can cause or fix."""

    status_code = 400
    retry_after: int | None = None  # seconds, sent as Retry-After when set

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    status_code = 422


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Unavailable(DomainError):
    """The service is too busy right now; the client may try again after ``retry_after`` seconds."""

    status_code = 503

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyAttempts(DomainError):
    """Too many failed sign-ins or API keys from one address or for one account, lately."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins or API keys: try again in {retry_after} seconds")
        self.retry_after = retry_after


class ConfigurationError(DomainError):
    """Bad settings or files: refused at start with a message naming what to fix."""

    status_code = 500


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """What every 4xx and 5xx answer of the API carries: the reason, and on 422 the fields at fault."""

    detail: str
    errors: list[FieldError] | None = None


LOCATIONS = ("body", "query", "header", "path")


def field_messages(errors: Sequence[ErrorDetails]) -> list[dict[str, str]]:
    """Pydantic errors as one message per field, named without the request part (body/query/...)."""
    seen: dict[str, str] = {}
    for error in errors:
        loc = [str(p) for p in error["loc"]]
        if loc and loc[0] in LOCATIONS:
            loc = loc[1:]
        seen.setdefault(".".join(loc) or "body", str(error["msg"]))
    return [{"field": field, "message": message} for field, message in seen.items()]


def field_summary(errors: Sequence[ErrorDetails]) -> str:
    """The field messages on one line, ``field: message; ...`` (import reports, webhook answers)."""
    return "; ".join(f"{m['field']}: {m['message']}" for m in field_messages(errors))
