"""article_category carries its article's published_at: a category's page is one index range

Revision ID: b8f2d4a6c1e3
Revises: a7d3e9c1f5b2
Create Date: 2026-12-07 09:40:00.000000

`GET /v1/articles?category=` walked every public article newest first and looked up, for
each, whether it is filed in the category: a page of a category on 1 article in 8 read about
160 articles and their links (on 10,000 articles, the peers' list of bench/peers.py), and a
small category reads the archive. With the article's `published_at` on the link and an index
on (category_id, published_at, article_id), the page of a category without subcategories is
walked in its order, as tags' and authors' are since migration a3d5f7b9c1e2 (a section with
subcategories still walks articles: one article may be filed under two of them).

- article_category.published_at: the article's, backfilled here;
- ix_article_category_category_id_published_at_article_id replaces
  ix_article_category_category_id_article_id: it serves every lookup by category that one
  served (and the primary key, (article_id, category_id), the lookup of one article's link);
- triggers as for the tags' copy: a link written takes its article's published_at, and the
  article's trigger that copies a new published_at to its links covers this table too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b8f2d4a6c1e3"
down_revision: str | Sequence[str] | None = "a7d3e9c1f5b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE, COPY = "article_category", "published_at"
INDEX = "ix_article_category_category_id_published_at_article_id"
REPLACED = "ix_article_category_category_id_article_id"
# The copies the article's trigger keeps (migration a3d5f7b9c1e2's), without and with this one.
BEFORE = (("article_tag", "published_at"), ("article_author", "published_at"), ("quote", "article_published_at"))
AFTER = (*BEFORE, (TABLE, COPY))


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    postgres = _postgres()
    op.drop_index(REPLACED, table_name=TABLE)  # first: the backfill then updates no index
    op.add_column(TABLE, sa.Column(COPY, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    if postgres:
        op.execute(
            f"UPDATE {TABLE} SET {COPY} = article.published_at FROM article "
            f"WHERE article.id = {TABLE}.article_id AND article.published_at IS NOT NULL"
        )
    else:
        op.execute(
            f"UPDATE {TABLE} SET {COPY} = (SELECT published_at FROM article WHERE article.id = {TABLE}.article_id)"
        )
    op.create_index(INDEX, TABLE, ["category_id", COPY, "article_id"])
    if postgres:
        op.execute(
            f"""
            CREATE FUNCTION gazette_{TABLE}_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.{COPY} := (SELECT published_at FROM article WHERE id = NEW.article_id);
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_published_at BEFORE INSERT OR UPDATE OF article_id ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION gazette_{TABLE}_published_at()"
        )
        _postgres_article_trigger(AFTER)
        op.execute(f"ANALYZE {TABLE}")
    else:
        article = "(SELECT published_at FROM article WHERE article.id = NEW.article_id)"
        for event in ("INSERT", "UPDATE OF article_id"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_published_at_{event.split()[0].lower()} AFTER {event} ON {TABLE} "
                f"WHEN NEW.{COPY} IS NOT {article} BEGIN "
                f"UPDATE {TABLE} SET {COPY} = {article} WHERE rowid = NEW.rowid; END"
            )
        _sqlite_article_trigger(AFTER)
        if op.get_bind().execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            op.execute(f"ANALYZE {TABLE}")


def _postgres_article_trigger(copies: Sequence[tuple[str, str]]) -> None:
    """The function of the trigger on article (created by a3d5f7b9c1e2) copying to `copies`."""
    updates = "\n".join(
        f"UPDATE {table} SET {copy} = NEW.published_at WHERE article_id = NEW.id;" for table, copy in copies
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION gazette_article_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {updates}
            RETURN NULL;
        END $$
        """
    )


def _sqlite_article_trigger(copies: Sequence[tuple[str, str]]) -> None:
    """The trigger on article (created by a3d5f7b9c1e2) copying to `copies`, made again."""
    updates = " ".join(
        f"UPDATE {table} SET {copy} = NEW.published_at WHERE article_id = NEW.id;" for table, copy in copies
    )
    op.execute("DROP TRIGGER IF EXISTS article_published_at_links")
    op.execute(
        "CREATE TRIGGER article_published_at_links AFTER UPDATE OF published_at ON article "
        f"WHEN NEW.published_at IS NOT OLD.published_at BEGIN {updates} END"
    )


def downgrade() -> None:
    if _postgres():
        _postgres_article_trigger(BEFORE)
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_published_at ON {TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS gazette_{TABLE}_published_at()")
    else:
        _sqlite_article_trigger(BEFORE)
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_published_at_{event}")
    op.drop_index(INDEX, table_name=TABLE)
    op.drop_column(TABLE, COPY)
    op.create_index(REPLACED, TABLE, ["category_id", "article_id"])
