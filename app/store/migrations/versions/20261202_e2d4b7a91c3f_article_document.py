"""article_document: the stored public representation of each published article

Revision ID: e2d4b7a91c3f
Revises: a5bd2b86b62e
Create Date: 2026-12-02 07:30:00.000000

The documents are built by the application, not here: at its next start Gazette sees that
none was built for this representation yet and builds them in the background (or run
`gazette documents rebuild`); until then reads build each article as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'e2d4b7a91c3f'
down_revision: str | Sequence[str] | None = 'a5bd2b86b62e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'article_document',
        sa.Column('article_id', sa.String(length=26), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('comments', sa.LargeBinary(), nullable=False),
        sa.Column('keys', sa.Text(), nullable=False),
        sa.Column('newest', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.Column('built_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['article.id'], name=op.f('fk_article_document_article_id_article'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('article_id', name=op.f('pk_article_document')),
    )
    op.create_index('ix_article_document_stale', 'article_document', ['article_id'], unique=False,
                    sqlite_where=sa.text('stale'), postgresql_where=sa.text('stale'))


def downgrade() -> None:
    op.drop_index('ix_article_document_stale', table_name='article_document',
                  sqlite_where=sa.text('stale'), postgresql_where=sa.text('stale'))
    op.drop_table('article_document')
    op.execute("DELETE FROM site_setting WHERE key = 'documents'")
