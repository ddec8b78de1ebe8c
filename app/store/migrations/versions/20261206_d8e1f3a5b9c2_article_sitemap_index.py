"""article sitemap index: what the sitemap index reads, from the index alone

Revision ID: d8e1f3a5b9c2
Revises: d8e4f2a6c1b9
Create Date: 2026-12-06 23:40:00.000000

The sitemap index (app/sitemaps/) counts each month's public articles, takes their latest
`updated_at` and finds where a month's pages of URLs begin. With (status, published_at, id,
deleted_at, updated_at) in one index, every one of those is a range of the index on both
engines, never a visit to the article rows (on SQLite, wide rows whose later columns sit
behind the body's overflow pages).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d8e1f3a5b9c2"
down_revision: str | Sequence[str] | None = "d8e4f2a6c1b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_article_status_published_at_id_deleted_at_updated_at"


def upgrade() -> None:
    op.create_index(NAME, "article", ["status", "published_at", "id", "deleted_at", "updated_at"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="article")
