"""cache purge log: how processes sharing a SQLite database hear each other's purges

Revision ID: c4a9e2f17b30
Revises: 52d3cf320fdb
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'c4a9e2f17b30'
down_revision: str | Sequence[str] | None = '52d3cf320fdb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'cache_purge',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('keys', sa.Text(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cache_purge')),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table('cache_purge')
