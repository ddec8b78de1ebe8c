"""list indexes: quotes of a source walked newest first

Revision ID: d8e4f2a6c1b9
Revises: 4154f4e4955c
Create Date: 2026-12-07 00:00:00.000000

`GET /v1/quotes?source=` read every quote of the source through `ix_quote_source_id` and
sorted them to give the newest page (tests/contracts/test_query_plans.py names it). An index
on (source_id, id) gives them in the page's order, and serves what the old one served.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d8e4f2a6c1b9"
down_revision: str | Sequence[str] | None = "4154f4e4955c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_quote_source_id_id", "quote", ["source_id", "id"])
    op.drop_index("ix_quote_source_id", table_name="quote")


def downgrade() -> None:
    op.create_index("ix_quote_source_id", "quote", ["source_id"])
    op.drop_index("ix_quote_source_id_id", table_name="quote")
