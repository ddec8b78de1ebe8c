"""people and sources a draft creates stay unlisted; webhook secrets rotate

Revision ID: d8a4f2c6b9e1
Revises: c3f1a8d2e5b7
Create Date: 2026-12-06 23:40:00.000000

`person.listed`, `source.listed`: false while only unpublished content names a row made
inline; every row already stored is public (server default true, so the backfill is the
column's creation). `webhook.previous_secret`, `previous_secret_expires_at`: the secret before
a rotation, which signs beside the new one until then.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d8a4f2c6b9e1"
down_revision: str | Sequence[str] | None = "c3f1a8d2e5b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTED = ("person", "source")


# Plain ALTER TABLE (SQLite 3.35+ drops a column in place): a batch would copy and drop
# person and source, which the foreign keys of quotes and attributions refuse.
def upgrade() -> None:
    for table in LISTED:
        op.add_column(table, sa.Column("listed", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("webhook", sa.Column("previous_secret", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.add_column("webhook", sa.Column("previous_secret_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("webhook", "previous_secret_expires_at")
    op.drop_column("webhook", "previous_secret")
    for table in reversed(LISTED):
        op.drop_column(table, "listed")
