"""What every editorial write shares: If-Match, the atomic version bump, merged-body validation."""

from collections.abc import Callable
from enum import Enum
from functools import lru_cache, partial
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import CursorResult, Table, bindparam, delete, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from app.http import problems
from app.http.problems import Conflict, PreconditionFailed, ValidationFailed
from app.kit.hooks import Hook
from app.store.engine import rows
from app.store.models.common import Timestamped, table_of, utcnow
from app.store.sql import Prepared

# Called with (session, row) after `write_changed` wrote a row without a flush: what listens
# to flushes hears of it here (the purge names the row's keys; the stored documents forget
# what they built). Registered by app.wiring.
WRITTEN_WITHOUT_FLUSH: Hook[...] = Hook("writes.written_without_flush")

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def plain(value: Any) -> Any:
    """Enum members as their values, for statements that bypass the ORM's type handling."""
    return value.value if isinstance(value, Enum) else value


def bump(session: Session, row: Timestamped, expected: int, values: dict[str, Any]) -> None:
    """Write `values`, version+1 and updated_at to `row` in one UPDATE … WHERE version = expected,
    so two writers holding the same ETag cannot both win: the second gets 412."""
    model = type(row)
    values = {k: plain(v) for k, v in values.items()} | {"version": expected + 1, "updated_at": utcnow()}
    stmt = _update(table_of(model), tuple(sorted(values)), versioned=True)
    params = {**values, "id_": row.id, "expected_": expected}
    unique = {k: v for k, v in values.items() if k in UNIQUE}
    run = partial(rows, session, stmt, params)
    result = flush_or_conflict(session, run, unique) if unique else run()
    if result.rowcount != 1:
        raise PreconditionFailed(f"This {model.__name__.lower()} was changed meanwhile; read it again.")
    for name, value in values.items():
        set_committed_value(row, name, value)


def delete_at_version(session: Session, row: Any, expected: int, name: str) -> None:
    """Delete `row` in one DELETE … WHERE version = expected (the row leaves the session
    first, so no flush writes it), so a writer holding a stale ETag cannot delete what
    another changed: 412 naming `name` (quote, update, person…)."""
    model = type(row)
    session.expunge(row)
    # A DELETE's result is a CursorResult (Session.execute is typed for any statement).
    result = cast(
        CursorResult[Any],
        session.execute(
            delete(model)
            .where(model.id == row.id, model.version == expected)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise PreconditionFailed(f"This {name} was changed meanwhile; read it again.")


@lru_cache(maxsize=64)
def _update(table: Table, columns: tuple[str, ...], *, versioned: bool = False) -> Prepared:
    """An UPDATE of these columns of one row by id (`versioned`: only while its version is
    the expected one, as `bump` needs), built once per table and columns, and prepared."""
    where = [table.c.id == bindparam("id_", type_=table.c.id.type)]
    if versioned:
        where.append(table.c.version == bindparam("expected_", type_=table.c.version.type))
    return Prepared(
        update(table).where(*where).values({name: bindparam(name, type_=table.c[name].type) for name in columns})
    )


def write_changed(session: Session, row: Timestamped) -> None:
    """Write the columns of `row` (an object `session` holds, as loaded) that changed since
    it was loaded, with one prepared UPDATE by id, where a flush would run the unit of work
    around the same statement (a sixth of a one-field PATCH, measured in bench/README.md).

    It stands in for the flush as far as anyone can see: `WRITTEN_WITHOUT_FLUSH` runs between
    the statement and the row becoming clean, as a flush's listeners would, so the keys to
    purge are named (app/cache/purge.py) and documents built earlier in the transaction are
    forgotten. When anything else is pending (new, deleted or other changed objects), it is
    the flush."""
    dirty = session.dirty
    if not (dirty or session.new or session.deleted):
        return
    state = inspect(row)
    table = table_of(type(row))
    if (
        session.new
        or session.deleted
        or len(dirty) > 1
        or row not in dirty
        or any(name not in table.c for name in state.committed_state)
    ):  # more than this row's columns
        session.flush()
        return
    changed = {
        name: plain(state.dict.get(name)) for name, was in state.committed_state.items() if state.dict.get(name) != was
    }
    if changed:
        _update(table, tuple(sorted(changed))).run(session.connection(), {**changed, "id_": row.id})
    WRITTEN_WITHOUT_FLUSH(session, row)
    # What the flush does with each object it wrote: the values held are the stored ones now.
    for name in list(state.committed_state):
        set_committed_value(row, name, state.dict.get(name))


UNIQUE = ("slug", "external_id")  # the columns a write may find taken meanwhile


def flush_or_conflict(session: Session, action: Callable[[], T], values: dict[str, Any]) -> T:
    """Run `action` in a savepoint; a unique slug or external_id taken meanwhile is a 409, not a 500."""
    try:
        with session.begin_nested():
            return action()
    except IntegrityError:
        field = next((f for f in UNIQUE if values.get(f) is not None), None)
        if field is None:
            raise
        raise Conflict(
            f"The {field} {values[field]!r} is taken.",
            errors=[{"field": field, "message": f"{values[field]!r} is taken"}],
        ) from None


def validate(model: type[M], document: dict[str, Any]) -> M:
    """`document` (a created or merged body) checked against `model`; 422 naming each field."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        errors = problems.field_errors(exc.errors(), in_body=True, located=False)
        raise ValidationFailed(problems.summary(errors), errors=errors) from None
