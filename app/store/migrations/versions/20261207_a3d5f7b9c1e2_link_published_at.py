"""links and quotes carry their article's published_at: a filtered page is one index range

Revision ID: a3d5f7b9c1e2
Revises: c6d8e0f2a4b7
Create Date: 2026-12-07 06:00:00.000000

`GET /v1/articles?tag=` (and `author=`) read every link of the tag, looked up each article
and sorted them to give page 1 (a tag on a few thousand articles: 2.4–5.6 × the unfiltered
page's time at 1,000,000 articles, bench/README.md). With the article's `published_at` on the
link and an index on (tag_id, published_at, article_id), the page is walked in its order and
the walk stops once the page is full.

- article_tag.published_at, article_author.published_at, quote.article_published_at: the
  article's, backfilled here; an index on (key, the copy, article_id) for each (the quote's
  on person_id, with its id after: a person's other quotes of one article).
- ix_article_tag_tag_id_published_at_article_id (and the author's) replace the
  (tag_id, article_id) indexes: they serve every lookup by tag those served.
- ix_article_translation_group_language_status replaces ix_article_translation_group: `lang`
  with `fallback` looks up a group's member in a language and status for each row, and with
  the group alone in an index SQLite chose the language's index and read every article in it.
- Triggers keep the copy in step on every write path, whatever writes (the API, import,
  the clock's transitions, a bulk load, a restore): a link written takes its article's
  published_at, and an article's new published_at is copied to its links.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a3d5f7b9c1e2"
down_revision: str | Sequence[str] | None = "c6d8e0f2a4b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column of the copy, index of the walk): the link tables, and quote for ?speaker=.
COPIES = (
    ("article_tag", "published_at", "ix_article_tag_tag_id_published_at_article_id", ["tag_id"]),
    ("article_author", "published_at", "ix_article_author_author_id_published_at_article_id", ["author_id"]),
    ("quote", "article_published_at", "ix_quote_person_id_article_published_at_article_id_id", ["person_id"]),
)
# The indexes the new ones replace: they serve every lookup those served.
REPLACED = {
    "article_tag": ("ix_article_tag_tag_id_article_id", ["tag_id", "article_id"]),
    "article_author": ("ix_article_author_author_id_article_id", ["author_id", "article_id"]),
}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _columns(table: str, copy: str, lead: list[str]) -> list[str]:
    return [*lead, copy, "article_id", *(["id"] if table == "quote" else [])]


def upgrade() -> None:
    postgres = _postgres()
    for table, copy, index, lead in COPIES:
        if table in REPLACED:  # first: the backfill then updates one index fewer
            op.drop_index(REPLACED[table][0], table_name=table)
        op.add_column(table, sa.Column(copy, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        if postgres:
            op.execute(
                f"UPDATE {table} SET {copy} = article.published_at FROM article "
                f"WHERE article.id = {table}.article_id AND article.published_at IS NOT NULL"
            )
        else:
            op.execute(
                f"UPDATE {table} SET {copy} = (SELECT published_at FROM article WHERE article.id = {table}.article_id) "
                "WHERE article_id IS NOT NULL"
            )
        op.create_index(index, table, _columns(table, copy, lead))
    op.create_index(
        "ix_article_translation_group_language_status", "article", ["translation_group", "language", "status"]
    )
    op.drop_index("ix_article_translation_group", table_name="article")
    if postgres:
        _postgres_triggers()
        for table in (*(table for table, *_ in COPIES), "article"):
            op.execute(f"ANALYZE {table}")
    else:
        _sqlite_triggers()
        # A database analysed before (a big one) gets statistics for the new indexes too; a
        # small one never analysed keeps the planner's defaults, as before.
        if op.get_bind().execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            for table in (*(table for table, *_ in COPIES), "article"):
                op.execute(f"ANALYZE {table}")


def _postgres_triggers() -> None:
    for table, copy, *_ in COPIES:
        op.execute(
            f"""
            CREATE FUNCTION gazette_{table}_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.{copy} := (SELECT published_at FROM article WHERE id = NEW.article_id);
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_published_at BEFORE INSERT OR UPDATE OF article_id ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION gazette_{table}_published_at()"
        )
    updates = "\n".join(
        f"UPDATE {table} SET {copy} = NEW.published_at WHERE article_id = NEW.id;" for table, copy, *_ in COPIES
    )
    op.execute(
        f"""
        CREATE FUNCTION gazette_article_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {updates}
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER article_published_at_links AFTER UPDATE OF published_at ON article FOR EACH ROW "
        "WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at) EXECUTE FUNCTION gazette_article_published_at()"
    )


def _sqlite_triggers() -> None:
    # SQLite cannot change NEW in a BEFORE trigger: the row is corrected after it is written,
    # only when it differs (a bulk load that writes the right value pays one lookup).
    article = "(SELECT published_at FROM article WHERE article.id = NEW.article_id)"
    for table, copy, *_ in COPIES:
        for event in ("INSERT", "UPDATE OF article_id"):
            op.execute(
                f"CREATE TRIGGER {table}_published_at_{event.split()[0].lower()} AFTER {event} ON {table} "
                f"WHEN NEW.{copy} IS NOT {article} BEGIN "
                f"UPDATE {table} SET {copy} = {article} WHERE rowid = NEW.rowid; END"
            )
    updates = " ".join(
        f"UPDATE {table} SET {copy} = NEW.published_at WHERE article_id = NEW.id;" for table, copy, *_ in COPIES
    )
    op.execute(
        "CREATE TRIGGER article_published_at_links AFTER UPDATE OF published_at ON article "
        f"WHEN NEW.published_at IS NOT OLD.published_at BEGIN {updates} END"
    )


def downgrade() -> None:
    postgres = _postgres()
    op.execute("DROP TRIGGER IF EXISTS article_published_at_links" + (" ON article" if postgres else ""))
    for table, copy, index, _ in COPIES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_published_at ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS gazette_{table}_published_at()")
        else:
            for event in ("insert", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_published_at_{event}")
        op.drop_index(index, table_name=table)
        op.drop_column(table, copy)
        if table in REPLACED:
            op.create_index(REPLACED[table][0], table, REPLACED[table][1])
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS gazette_article_published_at()")
    op.create_index("ix_article_translation_group", "article", ["translation_group"])
    op.drop_index("ix_article_translation_group_language_status", table_name="article")
