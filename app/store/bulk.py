"""Writing many rows of one table at once: `COPY … FROM STDIN` on PostgreSQL, one
`executemany` on SQLite.

Both the import's bulk path (app/transfer/bulk.py) and the bench's archive generator
(bench/loaders.py) write this way: a statement per table and batch, where the ORM's unit of
work pays for building and running one statement per row. `copy_rows` and `insert_rows` take
plain tuples on a driver connection (the generator's, which hands over values as each engine
stores them); `write` takes dicts of a model's table on a SQLAlchemy connection, in its
transaction, and turns each value into what the driver is given through the column's own
type (JSON, times, enums), as an ORM insert would.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table


def quoted(name: str) -> str:
    return f'"{name}"'


def copy_rows(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """`COPY table (columns) FROM STDIN` on a psycopg 3 cursor, one row per tuple; columns
    left out take their defaults (an identity, a transaction id)."""
    names = ", ".join(map(quoted, columns))
    with cursor.copy(f"COPY {quoted(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def insert_rows(connection: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """One `executemany` of an INSERT on a DB-API connection (sqlite3)."""
    names = ", ".join(map(quoted, columns))
    marks = ", ".join("?" * len(columns))
    connection.executemany(f"INSERT INTO {quoted(table)} ({names}) VALUES ({marks})", rows)


def write(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (every one with the same keys, the table's column names) in the
    connection's transaction: COPY on PostgreSQL, one executemany on SQLite. Columns a row
    does not name take their defaults, and the database's triggers run as for any insert."""
    if not rows:
        return
    columns = list(rows[0])
    dialect = connection.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    pairs = list(zip(columns, processors, strict=True))

    def stored(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[n] if p is None or row[n] is None else p(row[n]) for n, p in pairs)

    driver = connection.connection.driver_connection
    if dialect.name == "postgresql":
        copy_rows(driver.cursor(), table.name, columns, map(stored, rows))  # type: ignore[union-attr]
    else:
        insert_rows(driver, table.name, columns, map(stored, rows))
