"""live blogs: an article may be one, and its updates

Revision ID: b4c7e2f9a1d6
Revises: f3a9c6e1d2b7
Create Date: 2026-12-07 03:00:00.000000

- article.live, coverage_started_at, coverage_ended_at: the article is a live blog, covering
  an event from one time to another;
- article_update: a live blog's updates, each with its own body blocks, author, publication
  time, key-event and pinned flags, version; (article_id, published_at, id) indexed for the
  updates list, newest first, and its `since`;
- article_update_revision: every version of an update, with the key that made it;
- change.article_id: the article an `update` in the change feed belongs to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b4c7e2f9a1d6"
down_revision: str | Sequence[str] | None = "f3a9c6e1d2b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE … ADD/DROP COLUMN on both engines, never a batch copy (see d8e1f0a2b3c4).


def upgrade() -> None:
    op.add_column("article", sa.Column("live", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("article", sa.Column("coverage_started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("article", sa.Column("coverage_ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("change", sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True))
    op.create_table(
        "article_update",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("headline", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("body", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("key_event", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name="fk_article_update_article_id_article", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["author.id"], name="fk_article_update_author_id_author"),
        sa.PrimaryKeyConstraint("id", name="pk_article_update"),
    )
    op.create_index(
        "ix_article_update_article_id_published_at_id", "article_update", ["article_id", "published_at", "id"]
    )
    op.create_index("ix_article_update_author_id", "article_update", ["author_id"])
    op.create_index("ix_article_update_updated_at", "article_update", ["updated_at"])
    op.create_table(
        "article_update_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True),
        sa.Column("key_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("snapshot", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["article_update.id"],
            name="fk_article_update_revision_update_id_article_update",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_article_update_revision"),
        sa.UniqueConstraint("update_id", "number", name="uq_article_update_revision_update_id_number"),
    )


def downgrade() -> None:
    op.drop_table("article_update_revision")
    op.drop_index("ix_article_update_updated_at", table_name="article_update")
    op.drop_index("ix_article_update_author_id", table_name="article_update")
    op.drop_index("ix_article_update_article_id_published_at_id", table_name="article_update")
    op.drop_table("article_update")
    op.drop_column("change", "article_id")
    op.drop_column("article", "coverage_ended_at")
    op.drop_column("article", "coverage_started_at")
    op.drop_column("article", "live")
