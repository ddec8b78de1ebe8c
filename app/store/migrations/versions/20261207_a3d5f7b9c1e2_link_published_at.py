"""links carry their article's published_at: a tag's or author's page is one index range

Revision ID: a3d5f7b9c1e2
Revises: b4c7e2f9a1d6
Create Date: 2026-12-07 06:00:00.000000

`GET /v1/articles?tag=` (and `author=`) read every link of the tag, looked up each article
and sorted them to give page 1 (a tag on a few thousand articles: 2.4–5.6 × the unfiltered
page's time at 1,000,000 articles, bench/README.md). With the article's `published_at` on the
link and an index on (tag_id, published_at, article_id), the page is walked in its order and
the walk stops once the page is full.

- article_tag.published_at, article_author.published_at: the article's, backfilled here.
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
down_revision: str | Sequence[str] | None = "b4c7e2f9a1d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINKS = (("article_tag", "tag_id"), ("article_author", "author_id"))


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    postgres = _postgres()
    for table, key in LINKS:
        # The old index goes first: the backfill then updates one index fewer.
        op.drop_index(f"ix_{table}_{key}_article_id", table_name=table)
        op.add_column(table, sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        if postgres:
            op.execute(
                f"UPDATE {table} SET published_at = article.published_at FROM article "
                f"WHERE article.id = {table}.article_id AND article.published_at IS NOT NULL"
            )
        else:
            op.execute(
                f"UPDATE {table} SET published_at = "
                f"(SELECT published_at FROM article WHERE article.id = {table}.article_id)"
            )
        op.create_index(f"ix_{table}_{key}_published_at_article_id", table, [key, "published_at", "article_id"])
    op.create_index(
        "ix_article_translation_group_language_status", "article", ["translation_group", "language", "status"]
    )
    op.drop_index("ix_article_translation_group", table_name="article")
    if postgres:
        _postgres_triggers()
        for table in (*(table for table, _ in LINKS), "article"):
            op.execute(f"ANALYZE {table}")
    else:
        _sqlite_triggers()
        # A database analysed before (a big one) gets statistics for the new indexes too; a
        # small one never analysed keeps the planner's defaults, as before.
        if op.get_bind().execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            for table in (*(table for table, _ in LINKS), "article"):
                op.execute(f"ANALYZE {table}")


def _postgres_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION gazette_link_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.published_at := (SELECT published_at FROM article WHERE id = NEW.article_id);
            RETURN NEW;
        END $$
        """
    )
    for table, _ in LINKS:
        op.execute(
            f"CREATE TRIGGER {table}_published_at BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION gazette_link_published_at()"
        )
    updates = "\n".join(
        f"UPDATE {table} SET published_at = NEW.published_at WHERE article_id = NEW.id;" for table, _ in LINKS
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
    for table, key in LINKS:
        op.execute(
            f"CREATE TRIGGER {table}_published_at AFTER INSERT ON {table} "
            f"WHEN NEW.published_at IS NOT {article} BEGIN "
            f"UPDATE {table} SET published_at = {article} "
            f"WHERE article_id = NEW.article_id AND {key} = NEW.{key}; END"
        )
    updates = " ".join(
        f"UPDATE {table} SET published_at = NEW.published_at WHERE article_id = NEW.id;" for table, _ in LINKS
    )
    op.execute(
        "CREATE TRIGGER article_published_at_links AFTER UPDATE OF published_at ON article "
        f"WHEN NEW.published_at IS NOT OLD.published_at BEGIN {updates} END"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS article_published_at_links" + (" ON article" if _postgres() else ""))
    for table, key in LINKS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_published_at" + (f" ON {table}" if _postgres() else ""))
        op.drop_index(f"ix_{table}_{key}_published_at_article_id", table_name=table)
        op.drop_column(table, "published_at")
        op.create_index(f"ix_{table}_{key}_article_id", table, [key, "article_id"])
    op.create_index("ix_article_translation_group", "article", ["translation_group"])
    op.drop_index("ix_article_translation_group_language_status", table_name="article")
    if _postgres():
        op.execute("DROP FUNCTION IF EXISTS gazette_article_published_at()")
        op.execute("DROP FUNCTION IF EXISTS gazette_link_published_at()")
