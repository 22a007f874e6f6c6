"""What the API's schemas share across domains: the row id and moment types, and the rule for NUL
characters."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema, model_validator

MAX_ID = 2**31 - 1  # ids are PostgreSQL `integer`s (SQLite's are wider): a larger one names no row

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row id in a path, query or body: one out of range is an invalid field (422), never a database error."""


def _told_in_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)  # stored and compared in UTC (db.UTCDateTime)
        except OverflowError:
            raise ValueError("date is out of range once told in UTC") from None
    return value


Moment = Annotated[
    datetime,
    AfterValidator(_told_in_utc),
    # as pydantic reads it: RFC 3339 text, or Unix seconds as a number
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]}),
]
"""A date and time given to the API: one that UTC cannot tell (year 1 east of Greenwich, 9999 west of
it) is an invalid field, not an error where it is stored or compared."""


def without_nul(value: Any) -> Any:
    """``value`` with NUL characters dropped from every string in it, dict keys and lists included."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


class InputModel(BaseModel):
    """Base of what the API reads (bodies, query models): NUL characters are dropped before validation.

    A NUL shows nothing to a reader and PostgreSQL cannot store it in text; dropping it keeps the rest
    of the words on both databases, where refusing the item would lose them for an invisible byte.
    """

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        return without_nul(data)
