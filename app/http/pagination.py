"""Pages of lists: the one cursor codec, the keyset condition, and the one keyset pager.

A cursor is opaque to clients: base64url of a small JSON array (`pack`/`unpack`). List
cursors carry (sort, value, id) and are refused with a 400 naming `cursor` when they were
made for another sort or not by this API; the change feed packs its own (txid, id) with the
same codec.
"""

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Select, bindparam, tuple_
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import Session

from app.http.problems import InvalidParameter
from app.http.schemas import bounded_time
from app.store.engine import rows as run
from app.store.sql import Prepared


def pack(values: list[Any]) -> str:
    """The cursor codec: values (JSON) as an opaque, URL-safe token."""
    return base64.urlsafe_b64encode(orjson.dumps(values)).rstrip(b"=").decode()


def unpack(token: str) -> Any:
    """What `pack` packed; ValueError when `token` is not one of ours."""
    try:
        return orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise ValueError("not a cursor") from exc


def encode_cursor(sort: str, value: Any, row_id: str) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    return pack([sort, value, row_id])


def decode_cursor(token: str, sort: str, *, is_time: bool) -> tuple[Any, str]:
    """The (sort value, id) a cursor points after; 400 naming `cursor` when it is not ours."""
    try:
        cursor_sort, value, row_id = unpack(token)
        if not isinstance(row_id, str):
            raise ValueError
        if is_time and value is not None:
            value = datetime.fromisoformat(value)
            bounded_time(value)  # in the range every time the API takes lies in, or a 400
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


@dataclass(frozen=True)
class PreparedPages:
    """A keyset list's two statements, prepared (`Keyset.prepare`): its first page, and a page
    after a cursor."""

    first: Prepared
    after: Prepared


@dataclass(frozen=True)
class Keyset:
    """Paging by one unique column (an id, a slug): the one pager of the lists that sort by
    it. `sort` names the order in cursors; `parse` turns a cursor's key back into the
    column's type (a ValueError makes it a 400 naming `cursor`)."""

    column: Any
    sort: str
    descending: bool = False
    parse: Callable[[str], Any] = str

    def prepare(self, stmt: Select[Any]) -> PreparedPages:
        """`stmt`'s pages, built once and prepared (app/store/sql.py): the first page and the
        page after a cursor, for `run`. Its own parameters, if any, are `bindparam`s whose
        values `run` is given (`bound`)."""
        order = self.column.desc() if self.descending else self.column
        after = bindparam("keyset_after", type_=self.column.type)
        return PreparedPages(
            first=Prepared(stmt.order_by(order).limit(bindparam("keyset_limit"))),
            after=Prepared(
                stmt.where(self.column < after if self.descending else self.column > after)
                .order_by(order)
                .limit(bindparam("keyset_limit"))
            ),
        )

    def run(
        self,
        session: Session,
        prepared: PreparedPages,
        *,
        cursor: str | None,
        limit: int,
        bound: Mapping[str, Any] | None = None,
    ) -> tuple[list[Any], str | None]:
        """`page` of a prepared statement (its own parameters' values in `bound`): the same
        rows (plain rows of its columns) and cursor."""
        params: dict[str, Any] = {**(bound or {}), "keyset_limit": limit + 1}
        statement = prepared.first
        if cursor:
            params["keyset_after"] = self._after(cursor)
            statement = prepared.after
        rows = list(run(session, statement, params))
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        return rows, encode_cursor(self.sort, None, str(getattr(rows[-1], self.column.key)))

    def _after(self, cursor: str) -> Any:
        _, key = decode_cursor(cursor, self.sort, is_time=False)
        try:
            return self.parse(key)
        except ValueError:
            raise InvalidParameter("cursor", "not a cursor this API issued") from None

    def page(
        self, session: Session, stmt: Select[Any], *, cursor: str | None, limit: int
    ) -> tuple[list[Any], str | None]:
        """The rows of one page (`limit` of them at most) after `cursor`, and the next cursor:
        of `select(Model)`, objects; of `select(*columns)`, rows with the columns' names."""
        if cursor:
            after = self._after(cursor)
            stmt = stmt.where(self.column < after if self.descending else self.column > after)
        order = self.column.desc() if self.descending else self.column
        result = session.execute(stmt.order_by(order).limit(limit + 1))
        # One entity (or column): its objects; several columns: plain rows, which cost a list a
        # fraction of what ORM objects do (bench/README.md, "Fixed cost per request").
        rows = list(result.scalars() if len(stmt.column_descriptions) == 1 else result.all())
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        return rows, encode_cursor(self.sort, None, str(getattr(rows[-1], self.column.key)))
