"""article revisions

Revision ID: a7e3c1d90b42
Revises: 52d3cf320fdb
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'a7e3c1d90b42'
down_revision: str | Sequence[str] | None = '52d3cf320fdb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('article_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True),
    sa.Column('key_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], name=op.f('fk_article_revision_article_id_article'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revision')),
    sa.UniqueConstraint('article_id', 'number', name=op.f('uq_article_revision_article_id_number'))
    )


def downgrade() -> None:
    op.drop_table('article_revision')
