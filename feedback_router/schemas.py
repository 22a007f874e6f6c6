"""What the API's schemas share across domains: the row id type and the rule for NUL characters."""

from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

MAX_ID = 2**31 - 1  # ids are PostgreSQL `integer`s (SQLite's are wider): a larger one names no row

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row id in a path, query or body: one out of range is an invalid field (422), never a database error."""


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
