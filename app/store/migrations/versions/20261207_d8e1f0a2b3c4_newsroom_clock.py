"""the newsroom's clock: expiry and embargo times of articles, and why and when a change was due

Revision ID: d8e1f0a2b3c4
Revises: d8e1f3a5b9c2
Create Date: 2026-12-07 00:00:00.000000

- article.expires_at, article.embargoed_until: the times an article leaves the public and
  joins it by itself (app/articles/schedule.py applies them);
- article_document.expires: the expiry its stored document answers until (ISO text, as
  `newest`), so the fast path never serves it after its time;
- change.reason: why a `delete` in the change feed happened (unpublished, deleted, expired,
  embargoed); change.due_at: the time a transition applied by the clock's job was due.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d8e1f0a2b3c4"
down_revision: str | Sequence[str] | None = "d8e1f3a5b9c2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE … ADD/DROP COLUMN on both engines (SQLite has both since 3.35), never a
# batch copy: copying `article` on SQLite drops the old table, and its ON DELETE CASCADE
# would take every quote and link with it.


def upgrade() -> None:
    op.add_column("article", sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("article", sa.Column("embargoed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index("ix_article_expires_at", "article", ["expires_at"], unique=False)
    op.create_index("ix_article_embargoed_until", "article", ["embargoed_until"], unique=False)
    op.add_column("article_document", sa.Column("expires", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column("change", sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column("change", sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("change", "due_at")
    op.drop_column("change", "reason")
    op.drop_column("article_document", "expires")
    op.drop_index("ix_article_embargoed_until", table_name="article")
    op.drop_index("ix_article_expires_at", table_name="article")
    op.drop_column("article", "embargoed_until")
    op.drop_column("article", "expires_at")
