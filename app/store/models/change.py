"""The change feed's log: one row per create, update, publish, unpublish or delete."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, FetchedValue, Index, Integer
from sqlmodel import Field, SQLModel


class Change(SQLModel, table=True):
    """One change to public content; the feed serves rows in (txid, id) order."""

    __table_args__ = (
        Index("ix_change_resource_type_resource_id", "resource_type", "resource_id"),
        Index("ix_change_txid_id", "txid", "id"),
        # A page of some types: one range of this for each, merged (feed.list_changes).
        Index("ix_change_resource_type_txid_id", "resource_type", "txid", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    resource_type: str = Field(max_length=20)
    resource_id: str = Field(max_length=26)
    op: str = Field(max_length=10)
    version: int
    at: datetime
    # For a live blog's update: its article (the update is read under /v1/articles/{article_id}).
    article_id: str | None = Field(default=None, max_length=26)
    # Why a delete happened (app/changes/feed.py REASONS); None for an upsert.
    reason: str | None = Field(default=None, max_length=20)
    # When the clock's job applied a transition (app/articles/schedule.py): the time it was due.
    due_at: datetime | None = None
    # The writing transaction's id, filled in by the database (the migration sets the default:
    # pg_current_xact_id() on PostgreSQL, 0 on SQLite whose writers are serialised).
    txid: int | None = Field(default=None, sa_column=Column("txid", BigInteger(), FetchedValue(), nullable=False))
