"""one slug length: category and tag slugs hold 200 characters, as every other slug does

Revision ID: c3f1a8d2e5b7
Revises: b7c2e9f4a1d8
Create Date: 2026-12-06 21:00:00.000000

Every slug a client sends is checked by one rule (app/http/schemas.py `Slug`: at most 200
characters); categories and tags were created with 120-character columns, so a longer slug
passed validation and failed in PostgreSQL. SQLite does not enforce the length, and could
only change it by copying the tables and every table that references them: it is left as it
is there (app/store/migrate.py `compare_type` knows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3f1a8d2e5b7"
down_revision: str | Sequence[str] | None = "b7c2e9f4a1d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("category", "tag")


def _slug_length(old: int, new: int) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("slug", type_=sa.String(new), existing_type=sa.String(old), existing_nullable=False)


def upgrade() -> None:
    _slug_length(120, 200)


def downgrade() -> None:
    _slug_length(200, 120)
