"""List parameters parsed once into typed objects, and keyset cursors.

Every list endpoint declares a Pydantic model of the query parameters it accepts, with
extra="forbid": an unknown parameter is a 400 that names it, before any SQL is built.
"""

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.sql.elements import SQLCoreOperations

from app.http.problems import InvalidParameter
from app.store.models.common import to_utc


class ListParams(BaseModel):
    """What every list accepts: a page size, a cursor, and whether to count."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=100, description="Page size, 1–100.")
    cursor: str | None = Field(None, max_length=500, description="`next_cursor` of the previous page.")
    count: bool = Field(False, description="Add `meta.total`, the number of matching items.")


def parse_time(value: datetime | None) -> datetime | None:
    return None if value is None else to_utc(value)


def split_csv(value: str | None, *, field: str, allowed: frozenset[str]) -> list[str] | None:
    """`a,b,c` → ["a", "b", "c"], each checked against what the endpoint knows."""
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise InvalidParameter(field, f"unknown value {unknown[0]!r}; expected some of: {', '.join(sorted(allowed))}")
    return items


def encode_cursor(sort: str, value: Any, row_id: str) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = orjson.dumps([sort, value, row_id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(token: str, sort: str, *, is_time: bool) -> tuple[Any, str]:
    """The (sort value, id) a cursor points after; 400 naming `cursor` when it is not ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        cursor_sort, value, row_id = orjson.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(row_id, str):
            raise ValueError
        if is_time and value is not None:
            value = datetime.fromisoformat(value)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidParameter("cursor", "not a cursor this API issued") from None
    if cursor_sort != sort:
        raise InvalidParameter("cursor", f"this cursor was made for sort={cursor_sort}")
    return value, row_id


def after_cursor(
    column: SQLCoreOperations[Any], id_column: SQLCoreOperations[str], value: Any, row_id: str, *, descending: bool
) -> ColumnElement[bool]:
    """The keyset condition "strictly after (value, id)" in the given direction.

    Written as a row-value comparison, which both engines turn into an index range; the
    equivalent OR form makes them filter every row before the cursor.
    """
    if descending:
        return tuple_(column, id_column) < tuple_(value, row_id)
    return tuple_(column, id_column) > tuple_(value, row_id)


class Page(BaseModel):
    """One page of a list, before it is rendered."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    items: list[Any]
    limit: int
    next_cursor: str | None = None
    total: int | None = None

    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "limit": self.limit,
            "has_more": self.next_cursor is not None,
            "next_cursor": self.next_cursor,
        }
        if self.total is not None:
            meta["total"] = self.total
        return meta


def slug_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()] or None


def lowered(value: str | None) -> str | None:
    return value.strip().lower() if value else value


class LangParam(BaseModel):
    lang: str | None = Field(
        None, pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$", description="Language code, e.g. fr or en."
    )

    @field_validator("lang")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return lowered(value)
