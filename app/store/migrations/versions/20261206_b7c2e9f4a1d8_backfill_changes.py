"""backfill the change feed: one upsert for each public object that has no change yet

Revision ID: b7c2e9f4a1d8
Revises: e2d4b7a91c3f
Create Date: 2026-12-06 12:00:00.000000

Before every write went through one place, only articles (and objects written through their
own endpoints) were recorded: people and sources created inside an article write, quotes of
an article, and everything the demo loader made had no change at all, so an integrator
syncing from the beginning never heard of them. This records, for each public object that has
no change row, one upsert at its current version, in this migration's transaction: on
PostgreSQL with this transaction's id, so that integrators who synced before also get them
(their cursor is older); on SQLite the new ids come after every cursor already handed out.

Downgrade leaves the rows: they describe objects that exist, and removing them would take
changes away from integrators who have read them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'b7c2e9f4a1d8'
down_revision: str | Sequence[str] | None = 'e2d4b7a91c3f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What each resource type's public list shows (app/quotes/queries.py `public` for quotes).
PUBLIC = {
    "article": "SELECT id, version FROM article WHERE status = 'published' AND deleted_at IS NULL",
    "quote": "SELECT id, version FROM quote WHERE article_id IS NULL OR article_id IN "
             "(SELECT id FROM article WHERE status = 'published' AND deleted_at IS NULL)",
    **{kind: f"SELECT id, version FROM {kind}" for kind in ("category", "person", "source", "tag", "author")},
}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # Raised to the newest txid recorded, as app/changes/feed.py does for each resource.
    txid = ("greatest(pg_current_xact_id()::text::bigint, (SELECT coalesce(max(txid), 0) FROM change))"
            if postgres else "0")
    now = "now()" if postgres else "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    for kind, public in PUBLIC.items():
        op.execute(
            f"INSERT INTO change (resource_type, resource_id, op, version, at, txid) "
            f"SELECT '{kind}', p.id, 'upsert', p.version, {now}, {txid} FROM ({public}) AS p "
            f"WHERE NOT EXISTS (SELECT 1 FROM change c WHERE c.resource_type = '{kind}' AND c.resource_id = p.id) "
            f"ORDER BY p.id"
        )


def downgrade() -> None:
    pass
