"""What the sitemap index is built from: one row per month of published articles, and the
months a write has touched since (app/sitemaps/months.py keeps both)."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer
from sqlmodel import Field, SQLModel


class SitemapMonth(SQLModel, table=True):
    """A month's public articles as the sitemap index names them, as of the last time it was
    counted: how many, and their latest `updated_at`."""

    __tablename__ = "sitemap_month"

    month: str = Field(primary_key=True, max_length=7)  # "2026-12"
    urls: int
    lastmod: datetime | None = None
    # When the count stops being true by the clock alone: the month's next embargo to lift or
    # expiry to pass (`Article.is_public` reads both against the clock); None: never.
    valid_until: datetime | None = None


class SitemapChange(SQLModel, table=True):
    """A write that may have changed a month of the index: the `published_at` of an article,
    before or after a write, that was or is published and not deleted. Written by triggers on
    `article` (migration a7d3e9c1f5b2), whatever wrote the row; read and removed when the
    index is built."""

    __tablename__ = "sitemap_change"
    # AUTOINCREMENT: ids never come back (the builder removes the ids it read, and only those).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    published_at: datetime
