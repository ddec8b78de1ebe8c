"""Running Alembic from code: `gazette db upgrade`, `gazette serve`'s migration at start, tests.

Migrations run under a lock, so that several processes started together on one database
(nodes behind a load balancer, a rollout) migrate it once: the first takes the lock and
migrates, the others wait for it, then find nothing left to do. On PostgreSQL the lock is a
session-level advisory lock (`pg_advisory_lock`); on SQLite it is the database's write lock,
taken with BEGIN IMMEDIATE for the whole migration. A database at a revision this code does
not know (a newer Gazette migrated it) is never touched: `SchemaAhead` says so.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, String, Text, text
from sqlalchemy.exc import OperationalError

from app.settings import get_settings
from app.store.engine import make_engine, normalise_url

# Inside the package, so that an installed Gazette (a wheel, the image) migrates as a checkout does.
HERE = Path(__file__).resolve().parent
# The advisory lock's key on PostgreSQL: any fixed number that nothing else of the database uses.
MIGRATION_LOCK_KEY = 0x6761_7A65_7474_65  # "gazette"
# How long a process waits for another one's migration (SQLite: in rounds of its busy timeout).
LOCK_WAIT_SECONDS = 900.0


class SchemaAhead(RuntimeError):
    """The database was migrated past what this code knows."""


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    config.attributes["url"] = normalise_url(url or get_settings().database_url)
    return config


def _is_text(type_: Any) -> bool:
    """A VARCHAR of some length (SQLModel's AutoString decorates one)."""
    return isinstance(getattr(type_, "impl_instance", type_), String) and not isinstance(type_, Text)


def compare_type(
    context: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """Alembic's type comparison, but for the length of a VARCHAR on SQLite, which SQLite
    neither enforces nor lets a migration change without copying the table (and the tables
    that reference it). None: Alembic's own comparison decides."""
    if context.dialect.name == "sqlite" and _is_text(inspected_type) and _is_text(metadata_type):
        return False
    return None


def unknown_revisions(connection: Connection, config: Config) -> list[str]:
    """The revisions the database is at that this code's migrations do not name."""
    scripts = ScriptDirectory.from_config(config)
    known = {script.revision for script in scripts.walk_revisions()}
    return sorted(set(MigrationContext.configure(connection).get_current_heads()) - known)


def _refuse_if_ahead(connection: Connection, config: Config) -> None:
    unknown = unknown_revisions(connection, config)
    if unknown:
        raise SchemaAhead(
            f"The database is at revision {', '.join(unknown)}, which this version of Gazette does not know: "
            "a newer version migrated it. Run that newer version (or `gazette db downgrade` with it first); "
            "this one refuses to start rather than serve a schema it was not written for."
        )


def check(url: str | None = None) -> None:
    """Raise SchemaAhead when the database is ahead of this code (touching nothing)."""
    config = alembic_config(url)
    with make_engine(config.attributes["url"]).connect() as connection:
        _refuse_if_ahead(connection, config)


@contextmanager
def _locked(url: str) -> Iterator[Connection]:
    """A connection that alone may migrate the database until the block ends."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()  # the lock is the session's: it outlives this transaction
            try:
                yield connection
                connection.commit()
            finally:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                connection.commit()
        return
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        with engine.connect() as connection:
            immediate = connection.execution_options(sqlite_begin_immediate=True)
            try:
                immediate.begin()  # SQLite's write lock, held to the end: other migrators wait
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                continue  # another process is migrating (past one busy timeout): wait again
            yield immediate
            immediate.commit()
            return


def _run(url: str | None, migrate: Any) -> None:
    config = alembic_config(url)
    with _locked(config.attributes["url"]) as connection:
        _refuse_if_ahead(connection, config)
        config.attributes["connection"] = connection
        migrate(config)


def _at_heads(url: str | None) -> bool:
    """Whether the database is already at the code's heads (then an upgrade to them has
    nothing to do, and takes no lock: on SQLite the lock is the write lock)."""
    config = alembic_config(url)
    with make_engine(config.attributes["url"]).connect() as connection:
        _refuse_if_ahead(connection, config)
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == set(ScriptDirectory.from_config(config).get_heads())


def upgrade(revision: str = "heads", url: str | None = None) -> None:
    if revision == "heads" and _at_heads(url):
        return
    _run(url, lambda config: command.upgrade(config, revision))


def downgrade(revision: str = "base", url: str | None = None) -> None:
    _run(url, lambda config: command.downgrade(config, revision))
