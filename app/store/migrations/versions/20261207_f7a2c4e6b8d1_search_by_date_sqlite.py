"""an index of each language's search entries by date (SQLite)

Revision ID: f7a2c4e6b8d1
Revises: c3e5a7b9d1f4
Create Date: 2026-12-07 13:50:00.000000

A search sorted by date (`q` with `sort=-published_at`) read every match of its words from
FTS5, looked each one's date up in `article_search` and sorted them all: 266 ms of CPU for
`budget` at 1,000,000 articles (bench/README.md). With this index a common word's page walks
its language's entries newest first and keeps those that match (app/search/sqlite.py
`branches`), as PostgreSQL walks its own index of the same name. PostgreSQL: nothing to do.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f7a2c4e6b8d1"
down_revision: str | Sequence[str] | None = "c3e5a7b9d1f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_article_search_analyser_published_at_article_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(INDEX, "article_search", ["analyser", "published_at", "article_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(INDEX, table_name="article_search")
