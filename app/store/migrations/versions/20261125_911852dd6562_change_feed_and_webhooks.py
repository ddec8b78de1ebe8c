"""change feed transaction ids, webhook subscriptions, outbox and attempts

Revision ID: 911852dd6562
Revises: 52d3cf320fdb
Create Date: 2026-11-25 06:47:54.401238
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '911852dd6562'
down_revision: str | Sequence[str] | None = '52d3cf320fdb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_TIME = sqlmodel.sql.sqltypes.UTCDateTime()


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # The writing transaction's id: the change feed serves a row only once every older
    # transaction has ended (see app/changes/feed.py). SQLite serialises writers, so
    # id order is already commit order there and the column holds 0.
    if op.get_bind().dialect.name == 'postgresql':
        default = sa.text('(pg_current_xact_id()::text::bigint)')
    else:
        default = sa.text('0')
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), server_default=default, nullable=False))
        batch_op.create_index('ix_change_txid_id', ['txid', 'id'], unique=False)

    op.create_table('webhook',
    sa.Column('id', _str(26), nullable=False),
    sa.Column('url', _str(2083), nullable=False),
    sa.Column('events', _JSON, nullable=False),
    sa.Column('secret', _str(100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', _str(500), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('failing_since', _TIME, nullable=True),
    sa.Column('created_at', _TIME, nullable=False),
    sa.Column('updated_at', _TIME, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook'))
    )
    op.create_table('webhook_delivery',
    sa.Column('id', _ID, nullable=False),
    sa.Column('webhook_id', _str(26), nullable=False),
    sa.Column('event_type', _str(60), nullable=False),
    sa.Column('resource_key', _str(60), nullable=False),
    sa.Column('payload', _JSON, nullable=False),
    sa.Column('status', _str(10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', _TIME, nullable=False),
    sa.Column('window_start_at', _TIME, nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', _str(500), nullable=True),
    sa.Column('created_at', _TIME, nullable=False),
    sa.Column('delivered_at', _TIME, nullable=True),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhook.id'], name=op.f('fk_webhook_delivery_webhook_id_webhook'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_delivery_webhook_id_id', ['webhook_id', 'id'], unique=False)
        batch_op.create_index('ix_webhook_delivery_webhook_id_resource_key_id', ['webhook_id', 'resource_key', 'id'], unique=False)

    op.create_table('webhook_attempt',
    sa.Column('id', _ID, nullable=False),
    sa.Column('delivery_id', _ID, nullable=False),
    sa.Column('at', _TIME, nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', _str(500), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], name=op.f('fk_webhook_attempt_delivery_id_webhook_delivery'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempt'))
    )
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_attempt_delivery_id_id', ['delivery_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_attempt_delivery_id_id')
    op.drop_table('webhook_attempt')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_webhook_id_resource_key_id')
        batch_op.drop_index('ix_webhook_delivery_webhook_id_id')
        batch_op.drop_index('ix_webhook_delivery_status_next_attempt_at')
    op.drop_table('webhook_delivery')
    op.drop_table('webhook')
    with op.batch_alter_table('change', schema=None) as batch_op:
        batch_op.drop_index('ix_change_txid_id')
        batch_op.drop_column('txid')
