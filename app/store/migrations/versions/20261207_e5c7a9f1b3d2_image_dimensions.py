"""an article picture's size in pixels

Revision ID: e5c7a9f1b3d2
Revises: d8e1f0a2b3c4
Create Date: 2026-12-07 03:00:00.000000

- article.image_width, article.image_height: the lead picture's size as the writer gave it
  (both or neither), served in `image` so that a page holds the picture's place before it loads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5c7a9f1b3d2"
down_revision: str | Sequence[str] | None = "d8e1f0a2b3c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD/DROP COLUMN on both engines, never a batch copy (see d8e1f0a2b3c4: copying `article`
# on SQLite would cascade its deletes to every quote and link).


def upgrade() -> None:
    op.add_column("article", sa.Column("image_width", sa.Integer(), nullable=True))
    op.add_column("article", sa.Column("image_height", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("article", "image_height")
    op.drop_column("article", "image_width")
