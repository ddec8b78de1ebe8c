"""Pieces shared by every resource: ids, clocks, JSON columns, the timestamped base."""

import os
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import JSON, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.store import clock

# Set before any table is defined: constraint names are fixed when a table is built.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


_LAST_ID = [0]  # the last id made in this process, as a number
_ID_LOCK = threading.Lock()


def new_id() -> str:
    """A 26-character, time-ordered, opaque id (ULID layout, lower-case Crockford base32).

    Time order keeps primary-key inserts at the right edge of the index. Within a process ids
    only grow (ULID's monotonic rule: within the same millisecond, the last one plus one), so
    things made one after another sort in that order however fast they come (the import's
    bulk path makes a batch of articles in a millisecond or two, and an export lists them by id).
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    with _ID_LOCK:
        if value >> 80 <= _LAST_ID[0] >> 80:
            value = _LAST_ID[0] + 1
        _LAST_ID[0] = value
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def utcnow() -> datetime:
    """Now, aware, in UTC, from the one clock (app/store/clock.py): every time column stores UTC."""
    return clock.now()


def to_utc(value: datetime) -> datetime:
    """An aware UTC time; a naive one given by a client is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, to the second (the contract's format)."""
    if value is None:
        return None
    value = to_utc(value)
    # Not strftime: its %Y leaves years before 1000 unpadded ("331-06-08"), which is no RFC 3339.
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, which SQLAlchemy's declarative mapping sets as its
    `__table__` (SQLModel does not declare it to type checkers)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


class Timestamped(SQLModel):
    """Every stored resource has an id, creation and update times, and a version."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    version: int = Field(default=1)
