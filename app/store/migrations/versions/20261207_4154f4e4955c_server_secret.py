"""server secret: the key the server makes at its first start and every node shares

Revision ID: 4154f4e4955c
Revises: d8a4f2c6b9e1
Create Date: 2026-12-07 00:00:00.000000

Preview tokens were signed with GAZETTE_SECRET_KEY, whose default ("change-me-in-production")
was published: anyone could forge a token and read a draft. Unset, the key is now made by the
server and kept here (app/store/secrets.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "4154f4e4955c"
down_revision: str | Sequence[str] | None = "d8a4f2c6b9e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "server_secret",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secret")),
    )


def downgrade() -> None:
    op.drop_table("server_secret")
