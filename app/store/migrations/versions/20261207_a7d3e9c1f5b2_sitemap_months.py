"""sitemap months: the sitemap index from a table of months, kept in step by triggers

Revision ID: a7d3e9c1f5b2
Revises: a3d5f7b9c1e2
Create Date: 2026-12-07 06:00:00.000000

- sitemap_month: one row per month of public articles (how many, their latest updated_at,
  and when the clock alone makes that untrue), what /sitemaps/index.xml is built from;
- sitemap_change: the months a write touched since, one row per write of an article that
  was or is published and not deleted (its published_at, before and after);
- triggers on article (INSERT, UPDATE of the columns the index reads, DELETE) that add those
  rows in the writer's own transaction, whatever writes: the API, the clock's job, an
  import, a bulk load, hand-written SQL;
- backfill: every month from the first published article to the last is marked, so the
  first index built after the upgrade counts each once (app/sitemaps/months.py).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a7d3e9c1f5b2"
down_revision: str | Sequence[str] | None = "a3d5f7b9c1e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Published and not deleted: the rows that may be on a sitemap (the clock decides the rest).
LISTED = "{row}.status = 'published' AND {row}.deleted_at IS NULL AND {row}.published_at IS NOT NULL"
# The columns whose change may change a month's count or lastmod.
WATCHED = ("status", "deleted_at", "published_at", "updated_at", "expires_at", "embargoed_until")

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER sitemap_article_insert AFTER INSERT ON article
    WHEN {LISTED.format(row="NEW")}
    BEGIN INSERT INTO sitemap_change (published_at) VALUES (NEW.published_at); END""",
    f"""CREATE TRIGGER sitemap_article_delete AFTER DELETE ON article
    WHEN {LISTED.format(row="OLD")}
    BEGIN INSERT INTO sitemap_change (published_at) VALUES (OLD.published_at); END""",
    f"""CREATE TRIGGER sitemap_article_update AFTER UPDATE OF {", ".join(WATCHED)} ON article
    WHEN {" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)}
    BEGIN
        INSERT INTO sitemap_change (published_at) SELECT OLD.published_at WHERE {LISTED.format(row="OLD")};
        INSERT INTO sitemap_change (published_at) SELECT NEW.published_at WHERE {LISTED.format(row="NEW")}
            AND NOT ({LISTED.format(row="OLD")} AND OLD.published_at IS NEW.published_at);
    END""",
)

POSTGRES_FUNCTION = f"""
CREATE FUNCTION sitemap_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF {LISTED.format(row="NEW")} THEN
            INSERT INTO sitemap_change (published_at) VALUES (NEW.published_at);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF {LISTED.format(row="OLD")} THEN
            INSERT INTO sitemap_change (published_at) VALUES (OLD.published_at);
        END IF;
    ELSE
        IF {LISTED.format(row="OLD")} THEN
            INSERT INTO sitemap_change (published_at) VALUES (OLD.published_at);
        END IF;
        IF {LISTED.format(row="NEW")}
            AND NOT ({LISTED.format(row="OLD")} AND OLD.published_at IS NOT DISTINCT FROM NEW.published_at) THEN
            INSERT INTO sitemap_change (published_at) VALUES (NEW.published_at);
        END IF;
    END IF;
    RETURN NULL;
END
$$"""
POSTGRES_TRIGGERS = (
    "CREATE TRIGGER sitemap_article_insert AFTER INSERT ON article FOR EACH ROW EXECUTE FUNCTION sitemap_mark()",
    "CREATE TRIGGER sitemap_article_delete AFTER DELETE ON article FOR EACH ROW EXECUTE FUNCTION sitemap_mark()",
    f"""CREATE TRIGGER sitemap_article_update AFTER UPDATE OF {", ".join(WATCHED)} ON article FOR EACH ROW
    WHEN ({" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)})
    EXECUTE FUNCTION sitemap_mark()""",
)
TRIGGERS = ("sitemap_article_insert", "sitemap_article_delete", "sitemap_article_update")


def _months(first: datetime, last: datetime) -> list[datetime]:
    month, end, found = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0), last, []
    while month <= end:
        found.append(month)
        month = (
            month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)
        )
    return found


def upgrade() -> None:
    op.create_table(
        "sitemap_month",
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("urls", sa.Integer(), nullable=False),
        sa.Column("lastmod", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("valid_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_sitemap_month")),
    )
    change = op.create_table(
        "sitemap_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sitemap_change")),
        sqlite_autoincrement=True,
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    # Backfill: mark every month from the first listed article to the last (two seeks on
    # ix_article_status_published_at_id); the first index built counts them.
    article = sa.table(
        "article",
        sa.column("status", sa.String()),
        sa.column("deleted_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("published_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    listed = (article.c.status == "published", article.c.published_at.is_not(None))
    first = bind.scalar(sa.select(sa.func.min(article.c.published_at)).where(*listed))
    last = bind.scalar(sa.select(sa.func.max(article.c.published_at)).where(*listed))
    if first is not None and last is not None:
        months = _months(first.replace(tzinfo=UTC), last.replace(tzinfo=UTC))
        op.bulk_insert(change, [{"published_at": month} for month in months])


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(
            f"DROP TRIGGER IF EXISTS {name}" + (" ON article" if op.get_bind().dialect.name == "postgresql" else "")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sitemap_mark()")
    op.drop_table("sitemap_change")
    op.drop_table("sitemap_month")
