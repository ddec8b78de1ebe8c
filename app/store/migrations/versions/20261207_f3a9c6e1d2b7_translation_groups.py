"""translation groups: articles that are translations of one another

Revision ID: f3a9c6e1d2b7
Revises: 5e7a9c1b3d2f
Create Date: 2026-12-07 03:00:00.000000

- article.translation_group: the id of the group's original (the article the others
  translate; it holds its own id), null outside any group; indexed, as reads find a group's
  members by it (app/articles/translations.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f3a9c6e1d2b7"
down_revision: str | Sequence[str] | None = "5e7a9c1b3d2f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE … ADD/DROP COLUMN on both engines, never a batch copy (see d8e1f0a2b3c4:
# copying `article` on SQLite would cascade its deletes to every quote and link).


def upgrade() -> None:
    op.add_column("article", sa.Column("translation_group", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True))
    op.create_index("ix_article_translation_group", "article", ["translation_group"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_article_translation_group", table_name="article")
    op.drop_column("article", "translation_group")
