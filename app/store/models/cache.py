"""Purges waiting for other processes: on SQLite every process polls this small log."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, Text
from sqlmodel import Field, SQLModel


class CachePurge(SQLModel, table=True):
    __tablename__ = "cache_purge"
    # AUTOINCREMENT: ids never come back after old rows are pruned, so a poller that
    # remembers the last id it saw can never skip a new row.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    keys: str = Field(sa_type=Text)
    at: datetime
