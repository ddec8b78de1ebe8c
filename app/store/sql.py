"""Hot statements, compiled once per engine and run on the DB-API cursor.

SQLAlchemy Core spends about 100 µs of Python on every statement it runs (the statement's
cache key, its parameters, the result's metadata): more than SQLite takes to answer a
primary-key lookup, and a write to an article runs twenty. A `Prepared` statement does that
work once per dialect: the SQL text, the order of its parameters, and the type processing
of each parameter and result column (JSON, datetimes on SQLite), so running it costs the
driver's call and a loop over the row. Listeners of `before_cursor_execute` and
`after_cursor_execute` still see it, and driver errors reach callers as SQLAlchemy's.

Only statements whose parameters are all scalars can be prepared (no expanding `IN`):
an `IN` takes a different SQL text for each length of its list.
"""

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None
Params = Mapping[str, Any] | list[dict[str, Any]] | None
# A SELECT of any columns (SQLAlchemy types one by the tuple of its columns' types).
AnySelect = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order a positional driver takes them
    positional: bool
    defaults: dict[str, Any]  # values written into the statement (literals)
    callables: dict[str, Callable[[], Any]]  # values computed when it runs (the clock's now)
    binds: dict[str, Callable[[Any], Any]]  # parameter name → its type's processor, where it has one
    results: tuple[Processor, ...]  # per result column; () for a statement returning none
    row: type[tuple[Any, ...]] | None  # a named tuple per result row


class Fetched(list[Any]):
    """A statement's rows, read to the end (so the cursor holds nothing), and its rowcount."""

    rowcount: int = -1

    def all(self) -> list[Any]:
        return list(self)

    def first(self) -> Any:
        return self[0] if self else None

    def scalar(self) -> Any:
        return self[0][0] if self else None

    def scalar_one(self) -> Any:
        if len(self) != 1:
            raise exc.NoResultFound("No row was found") if not self else exc.MultipleResultsFound("Multiple rows")
        return self[0][0]


class Prepared:
    """A Core statement run without Core's per-execution work; see the module's docstring."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        # A Core statement compiles to SQL (`ClauseElement.compile` is typed for DDL too).
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("a prepared statement takes scalar parameters only (no expanding IN)")
        if getattr(compiled, "escaped_bind_names", None):
            raise ValueError("a prepared statement's parameter names must need no escaping")
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise ValueError("a prepared statement must name every column that has a Python-side default")
        names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
        binds: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
        defaults = {
            name: bind.value
            for name, bind in compiled.binds.items()
            if bind.value is not None and bind.callable is None
        }
        callables = {name: bind.callable for name, bind in compiled.binds.items() if bind.callable is not None}
        # A SELECT's columns, or what an INSERT/UPDATE … RETURNING gives back; other DML: none.
        selected: Iterable[Any] | None = getattr(self.statement, "selected_columns", None)
        returning: Iterable[Any] = getattr(self.statement, "_returning", ())
        columns = list(selected or returning)
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        keys = [getattr(c, "key", None) or getattr(c, "name", None) or f"c{i}" for i, c in enumerate(columns)]
        row = namedtuple("Row", keys, rename=True) if columns else None
        return _Compiled(compiled.string, names, compiled.positional, defaults, callables, binds, results, row)

    def compiled_for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def run(self, connection: Connection, params: Params = None) -> Fetched:
        """Run on `connection` (its transaction, its DB-API connection) and read every row;
        a list of parameter sets runs the statement once for each (executemany)."""
        dialect = connection.dialect
        c = self.compiled_for(dialect)
        arguments: Any
        if isinstance(params, list):
            many = True
            arguments = [self._arguments(c, p) for p in params]
        else:
            many = False
            arguments = self._arguments(c, params)
        cursor = connection.connection.cursor()
        dispatch = connection.dispatch
        try:
            if dispatch.before_cursor_execute:
                dispatch.before_cursor_execute(connection, cursor, c.sql, arguments, None, many)
            try:
                if many:
                    cursor.executemany(c.sql, arguments)
                else:
                    cursor.execute(c.sql, arguments)
                found = cursor.fetchall() if not many and cursor.description is not None else []
            except dialect.loaded_dbapi.Error as error:
                raise exc.DBAPIError.instance(
                    c.sql, arguments, error, dialect.loaded_dbapi.Error, dialect=dialect
                ) from error
            if dispatch.after_cursor_execute:
                dispatch.after_cursor_execute(connection, cursor, c.sql, arguments, None, many)
            out = Fetched(self._rows(c, found))
            out.rowcount = cursor.rowcount
            return out
        finally:
            cursor.close()

    @staticmethod
    def _arguments(c: _Compiled, params: Mapping[str, Any] | None) -> Any:
        """What the driver takes: the values in order (positional drivers) or by name,
        each through its type's processor."""
        values = {**c.defaults, **params} if params else dict(c.defaults)
        for name, compute in c.callables.items():
            if name not in values:
                values[name] = compute()
        for name, processor in c.binds.items():
            if name in values:
                values[name] = processor(values[name])
        return tuple(values[name] for name in c.names) if c.positional else values

    @staticmethod
    def _rows(c: _Compiled, found: Sequence[Any]) -> list[Any]:
        if not found or c.row is None:
            return []
        # typeshed types namedtuple() as a plain tuple class, without the `_make` it has.
        make: Callable[[Iterable[Any]], tuple[Any, ...]] = c.row._make  # type: ignore[attr-defined]
        if not any(c.results):
            return [make(row) for row in found]
        processors = c.results
        return [
            make(value if p is None or value is None else p(value) for p, value in zip(processors, row, strict=True))
            for row in found
        ]
