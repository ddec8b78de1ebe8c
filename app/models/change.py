"""The change feed's log: one row per create, update, publish, unpublish or delete."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer
from sqlmodel import Field, SQLModel


class Change(SQLModel, table=True):
    __table_args__ = (Index("ix_change_resource_type_resource_id", "resource_type", "resource_id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    resource_type: str = Field(max_length=20)
    resource_id: str = Field(max_length=26)
    op: str = Field(max_length=10)
    version: int
    at: datetime
