"""one history

Revision ID: a5bd2b86b62e
Revises: 37bbcbed5d80, 911852dd6562, a7e3c1d90b42, c4a9e2f17b30
Create Date: 2026-11-25 08:44:44.797698
"""

from collections.abc import Sequence

revision: str = 'a5bd2b86b62e'
down_revision: str | Sequence[str] | None = ('37bbcbed5d80', '911852dd6562', 'a7e3c1d90b42', 'c4a9e2f17b30')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
