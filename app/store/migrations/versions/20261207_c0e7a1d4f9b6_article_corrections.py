"""article corrections: the notices (correction, clarification, update) appended to an article

Revision ID: c0e7a1d4f9b6
Revises: e5c7a9f1b3d2
Create Date: 2026-12-07 03:00:00.000000

- article_correction: one row per notice, append-only (app/articles/corrections.py), read
  oldest first by (article_id, created_at, id).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c0e7a1d4f9b6"
down_revision: str | Sequence[str] | None = "e5c7a9f1b3d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_article_correction_article_id_created_at_id"


def upgrade() -> None:
    op.create_table(
        "article_correction",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_article_correction_article_id_article"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_correction")),
    )
    op.create_index(INDEX, "article_correction", ["article_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="article_correction")
    op.drop_table("article_correction")
