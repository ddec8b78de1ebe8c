"""Bulk loaders: COPY into PostgreSQL (psycopg 3), big executemany transactions into SQLite.

Both take secondary indexes (and on PostgreSQL, foreign keys) away for the load and put them
back afterwards: building an index once over sorted data beats updating it row by row.
"""

import sqlite3
from datetime import date, datetime

import psycopg
from datagen import ARTICLE_TABLES, COLUMNS, ENTITY_TABLES
from sqlalchemy.engine import make_url

from app.store.bulk import copy_rows, insert_rows
from app.store.bulk import quoted as _quoted

TABLES = ENTITY_TABLES + ARTICLE_TABLES


class SQLiteLoader:
    """executemany in large transactions, journal and fsync off while loading."""

    engine = "sqlite"

    def __init__(self, url: str) -> None:
        path = make_url(url).database
        # What SQLAlchemy stores for UTCDateTime and Date on SQLite: text, microseconds always.
        sqlite3.register_adapter(datetime, lambda v: v.isoformat(" ", "microseconds"))
        sqlite3.register_adapter(date, lambda v: v.isoformat())
        self.db = sqlite3.connect(path, isolation_level=None)
        self.indexes: list[tuple[str, str]] = []

    def count_articles(self) -> int:
        return self.db.execute('SELECT count(*) FROM "article"').fetchone()[0]

    def prepare(self) -> None:
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "cache_size=-1000000",
            "temp_store=MEMORY",
            "foreign_keys=OFF",
            "locking_mode=EXCLUSIVE",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        names = ",".join("?" * len(TABLES))
        self.indexes = self.db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({names})",
            TABLES,
        ).fetchall()
        for name, _ in self.indexes:
            self.db.execute(f"DROP INDEX {_quoted(name)}")
        self.db.execute("BEGIN")

    def write(self, table: str, rows: list[tuple]) -> None:
        if rows:
            insert_rows(self.db, table, COLUMNS[table], rows)

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def rebuild_indexes(self) -> None:
        self.db.execute("COMMIT")
        for _, sql in self.indexes:
            self.db.execute(sql)

    def analyze(self) -> None:
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA locking_mode=NORMAL")
        self.db.execute("PRAGMA journal_mode=WAL")  # what Gazette itself runs with
        self.db.close()


class PostgresLoader:
    """COPY … FROM STDIN per table and batch; one commit per batch."""

    engine = "postgresql"

    def __init__(self, url: str) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        conninfo = parsed.render_as_string(hide_password=False)
        # Naive times from the generator are UTC; the session's zone makes PostgreSQL agree.
        self.db = psycopg.connect(conninfo, options="-c timezone=UTC")
        self.indexes: list[tuple[str, str]] = []
        self.foreign_keys: list[tuple[str, str, str]] = []

    def count_articles(self) -> int:
        return self.db.execute('SELECT count(*) FROM "article"').fetchone()[0]

    def prepare(self) -> None:
        db = self.db
        db.execute("SET synchronous_commit = off")
        db.execute("SET maintenance_work_mem = '512MB'")
        tables = list(TABLES)
        self.foreign_keys = db.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY(%s)",
            (tables,),
        ).fetchall()
        self.indexes = db.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND t.relname = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            (tables,),
        ).fetchall()
        for table, name, _ in self.foreign_keys:
            db.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quoted(name)}")
        for name, _ in self.indexes:
            db.execute(f"DROP INDEX {_quoted(name)}")
        db.commit()

    def write(self, table: str, rows: list[tuple]) -> None:
        if rows:
            copy_rows(self.db.cursor(), table, COLUMNS[table], rows)

    def commit(self) -> None:
        self.db.commit()

    def rebuild_indexes(self) -> None:
        db = self.db
        db.commit()
        for _, sql in self.indexes:
            db.execute(sql)
        for table, name, definition in self.foreign_keys:
            db.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quoted(name)} {definition}")
        db.commit()

    def analyze(self) -> None:
        self.db.autocommit = True
        # VACUUM sets the visibility map, so index-only scans work straight away.
        self.db.execute("VACUUM ANALYZE")
        self.db.close()


def loader_for(url: str) -> SQLiteLoader | PostgresLoader:
    return PostgresLoader(url) if url.startswith("postgres") else SQLiteLoader(url)
