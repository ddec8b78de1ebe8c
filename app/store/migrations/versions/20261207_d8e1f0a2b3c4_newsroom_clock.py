"""the newsroom's clock: expiry and embargo times of articles, and why and when a change was due

Revision ID: d8e1f0a2b3c4
Revises: c3f1a8d2e5b7
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
down_revision: str | Sequence[str] | None = "c3f1a8d2e5b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("embargoed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.create_index("ix_article_expires_at", ["expires_at"], unique=False)
        batch.create_index("ix_article_embargoed_until", ["embargoed_until"], unique=False)
    with op.batch_alter_table("article_document") as batch:
        batch.add_column(sa.Column("expires", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    with op.batch_alter_table("change") as batch:
        batch.add_column(sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch.add_column(sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("change") as batch:
        batch.drop_column("due_at")
        batch.drop_column("reason")
    with op.batch_alter_table("article_document") as batch:
        batch.drop_column("expires")
    with op.batch_alter_table("article") as batch:
        batch.drop_index("ix_article_embargoed_until")
        batch.drop_index("ix_article_expires_at")
        batch.drop_column("embargoed_until")
        batch.drop_column("expires_at")
