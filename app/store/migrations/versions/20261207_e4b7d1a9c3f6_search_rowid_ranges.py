"""a range of FTS5 rowids per analyser (SQLite)

Revision ID: e4b7d1a9c3f6
Revises: b8f2d4a6c1e3
Create Date: 2026-12-07 10:30:00.000000

SQLite keeps every language's documents in one FTS5 table, and a search runs one branch per
analyser, walking the matches of its terms newest first and keeping its analyser's: the English
branch of a search for French words walked every French match to find no English one (9 ms at
100,000 articles, some 90 ms at 1,000,000). Each analyser now has its own range of rowids
(`app.search.sqlite.ROWIDS` wide, in the order fr, en, simple), which FTS5 seeks in each
term's doclist: French documents keep theirs; the others move up to their range (their FTS5
rows are written again, the mapping rows renumbered). bm25's statistics stay the whole
index's, so ranks are unchanged. PostgreSQL: nothing to do (one GIN index per analyser).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e4b7d1a9c3f6"
down_revision: str | Sequence[str] | None = "b8f2d4a6c1e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (("article_search", "title, standfirst, body"), ("quote_search", "text"))
_ANALYSERS = ("fr", "en", "simple")
_ROWIDS = 1 << 40


def _move(table: str, columns: str, analyser: str, shift: str) -> None:
    """Move the analyser's rows (FTS5 row and mapping) by `shift`, an SQL expression of `id`."""
    op.execute("CREATE TEMP TABLE moving (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)")
    op.execute(f"INSERT INTO moving SELECT id, {shift} FROM {table} WHERE analyser = '{analyser}'")
    op.execute(
        f"INSERT INTO {table}_fts (rowid, {columns}) SELECT moving.new, {columns} FROM {table}_fts"
        f" JOIN moving ON moving.old = {table}_fts.rowid"
    )
    op.execute(f"DELETE FROM {table}_fts WHERE rowid IN (SELECT old FROM moving)")
    op.execute(f"UPDATE {table} SET id = (SELECT new FROM moving WHERE old = {table}.id) WHERE analyser = '{analyser}'")
    op.execute("DROP TABLE moving")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in _TABLES:
        for n, analyser in enumerate(_ANALYSERS[1:], start=1):
            _move(table, columns, analyser, f"id + {n * _ROWIDS}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in _TABLES:
        for analyser in _ANALYSERS[1:]:
            # after every row of the ranges below, in the same order
            base = f"(SELECT coalesce(max(id), 0) FROM {table} WHERE id < {_ROWIDS})"
            low = f"(SELECT min(id) FROM {table} WHERE analyser = '{analyser}')"
            _move(table, columns, analyser, f"id - {low} + 1 + {base}")
