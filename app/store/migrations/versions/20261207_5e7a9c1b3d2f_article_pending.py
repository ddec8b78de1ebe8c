"""article_pending: changes staged on a published article, its pending version

Revision ID: 5e7a9c1b3d2f
Revises: c0e7a1d4f9b6
Create Date: 2026-12-07 03:00:00.000000

One row per article at most: the write shape it will publish (JSON), the live version it was
started from, its own version, and the time the clock's job is to publish it at, if any.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5e7a9c1b3d2f"
down_revision: str | Sequence[str] | None = "c0e7a1d4f9b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "article_pending",
        sa.Column("article_id", sa.String(length=26), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("based_on_version", sa.Integer(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("publish_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("correction", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_article_pending_article_id_article"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_pending")),
    )
    op.create_index("ix_article_pending_publish_at", "article_pending", ["publish_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_article_pending_publish_at", table_name="article_pending")
    op.drop_table("article_pending")
