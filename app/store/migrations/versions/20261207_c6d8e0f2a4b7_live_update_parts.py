"""live blog updates: attributions, an external_id, and the quotes their bodies show

Revision ID: c6d8e0f2a4b7
Revises: a7d3e9c2f5b1
Create Date: 2026-12-07 06:00:00.000000

- article_update.external_id (unique): what an import matches an update by, as an article;
- article_update_attribution: where an update's content comes from ("Lu sur Le Figaro",
  "©Reuters", agency copy), as an article's attributions; (source_id, update_id) indexed for
  the guard that keeps a named source from being deleted;
- article_update_quote: each quote block of an update's body and the quote it shows, kept by
  every write of the update, so the quote guard is one indexed query; filled here from the
  bodies of the updates already written.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c6d8e0f2a4b7"
down_revision: str | Sequence[str] | None = "a7d3e9c2f5b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("article_update", sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.create_index("uq_article_update_external_id", "article_update", ["external_id"], unique=True)
    op.create_table(
        "article_update_attribution",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("update_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["article_update.id"],
            name="fk_article_update_attribution_update_id_article_update",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name="fk_article_update_attribution_source_id_source"),
        sa.PrimaryKeyConstraint("id", name="pk_article_update_attribution"),
    )
    op.create_index(
        "ix_article_update_attribution_source_id_update_id",
        "article_update_attribution",
        ["source_id", "update_id"],
    )
    op.create_index("ix_article_update_attribution_update_id", "article_update_attribution", ["update_id"])
    links = op.create_table(
        "article_update_quote",
        sa.Column("update_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("quote_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["article_update.id"],
            name="fk_article_update_quote_update_id_article_update",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("update_id", "block", name="pk_article_update_quote"),
    )
    op.create_index("ix_article_update_quote_quote_id", "article_update_quote", ["quote_id"])
    _backfill(links)


def _backfill(links: sa.Table) -> None:
    """One row per quote block of every update written so far, read by keyset in batches."""
    bind = op.get_bind()
    updates = sa.table("article_update", sa.column("id", sa.String()), sa.column("body", sa.JSON()))
    after = ""
    while True:
        batch = bind.execute(
            sa.select(updates.c.id, updates.c.body).where(updates.c.id > after).order_by(updates.c.id).limit(BATCH)
        ).all()
        if not batch:
            return
        rows = [
            {"update_id": update_id, "block": index, "quote_id": block["quote_id"]}
            for update_id, body in batch
            for index, block in enumerate(body or [])
            if isinstance(block, dict) and block.get("type") == "quote" and block.get("quote_id")
        ]
        if rows:
            bind.execute(sa.insert(links), rows)
        after = batch[-1][0]


def downgrade() -> None:
    op.drop_index("ix_article_update_quote_quote_id", table_name="article_update_quote")
    op.drop_table("article_update_quote")
    op.drop_index("ix_article_update_attribution_update_id", table_name="article_update_attribution")
    op.drop_index("ix_article_update_attribution_source_id_update_id", table_name="article_update_attribution")
    op.drop_table("article_update_attribution")
    op.drop_index("uq_article_update_external_id", table_name="article_update")
    op.drop_column("article_update", "external_id")
