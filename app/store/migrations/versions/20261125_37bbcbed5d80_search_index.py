"""search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

Revision ID: 37bbcbed5d80
Revises: 52d3cf320fdb
Create Date: 2026-11-25 07:00:00

The search tables are not SQLModel tables: their shape depends on the engine. On SQLite,
`article_search` maps an article id to the integer rowid of its row in the FTS5 table
`article_search_fts`, whose columns hold terms already analysed in Python (accents folded,
stemmed). The code deletes the FTS5 row with its mapping: a trigger would do it with a scan
of the whole FTS5 table per row. On PostgreSQL, `article_search`
holds a weighted tsvector built with the unaccent configurations below, under GIN indexes.
Only public articles are indexed, with their language and their publication and update
times, so that a search filters by language, sorts and pages without reading the articles. Quotes have the same pair of tables. An existing database is filled by `gazette search reindex`.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "37bbcbed5d80"
down_revision: str | Sequence[str] | None = "52d3cf320fdb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, key column, referenced table, FTS5 columns, whether rows carry the article's times)
_TABLES = (
    ("article_search", "article_id", "article", "title, standfirst, body", True),
    ("quote_search", "quote_id", "quote", "text", False),
)
_ANALYSERS = ("fr", "en", "simple")
_CONFIGS = (("fr_unaccent", "french", "french_stem"), ("en_unaccent", "english", "english_stem"))


def _sqlite_upgrade() -> None:
    for table, key, parent, columns, dated in _TABLES:
        op.execute(
            f"CREATE TABLE {table} ("
            " id INTEGER PRIMARY KEY,"
            f" {key} VARCHAR(26) NOT NULL REFERENCES {parent}(id) ON DELETE CASCADE,"
            " analyser VARCHAR(8) NOT NULL,"
            + (" language VARCHAR(8) NOT NULL, published_at DATETIME NOT NULL,"
               " updated_at DATETIME NOT NULL," if dated else "")
            + f" CONSTRAINT uq_{table}_{key} UNIQUE ({key}))"
        )
        # detail=full keeps positions, which "phrases" need; the terms arrive analysed.
        op.execute(
            f"CREATE VIRTUAL TABLE {table}_fts USING fts5({columns},"
            " tokenize = 'unicode61 remove_diacritics 0')"
        )


def _postgres_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for name, parent, stem in _CONFIGS:
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {parent})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name}"
            f" ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {stem}"
        )
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name}"
            " ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple"
        )
    op.execute("CREATE TEXT SEARCH CONFIGURATION simple_unaccent (COPY = simple)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION simple_unaccent ALTER MAPPING FOR"
        " hword, hword_part, word, numword, numhword, hword_numpart WITH unaccent, simple"
    )
    for table, key, parent, _, dated in _TABLES:
        op.execute(
            f"CREATE TABLE {table} ("
            f" {key} VARCHAR(26) NOT NULL REFERENCES {parent}(id) ON DELETE CASCADE,"
            " analyser VARCHAR(8) NOT NULL,"
            " document TSVECTOR NOT NULL,"
            + (" language VARCHAR(8) NOT NULL, published_at TIMESTAMP WITH TIME ZONE NOT NULL,"
               " updated_at TIMESTAMP WITH TIME ZONE NOT NULL," if dated else "")
            + f" CONSTRAINT pk_{table} PRIMARY KEY ({key}))"
        )
        # Keep tsvectors (2 to 3 kB for an article) in the row rather than in TOAST: ranking
        # reads every match's vector, and fetching it from TOAST took twice as long.
        op.execute(f"ALTER TABLE {table} ALTER COLUMN document SET STORAGE MAIN")
        op.execute(f"ALTER TABLE {table} SET (toast_tuple_target = 8160)")
        if dated:  # the most recent matches of a common word, walking back from the newest
            op.execute(f"CREATE INDEX ix_{table}_analyser_published_at_{key} ON {table}"
                       f" (analyser, published_at, {key})")
        # One GIN index per analyser: a language's query then reads only its own documents.
        for analyser in _ANALYSERS:
            op.execute(
                f"CREATE INDEX ix_{table}_document_{analyser} ON {table} USING gin (document)"
                f" WHERE analyser = '{analyser}'"
            )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, *_ in reversed(_TABLES):
        if not postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_ad")  # made by an early draft of this revision
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
        op.execute(f"DROP TABLE IF EXISTS {table}")
    if postgres:
        for name in ("simple_unaccent", "en_unaccent", "fr_unaccent"):
            op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        # The unaccent extension stays: it may have been there before, and others may use it.
