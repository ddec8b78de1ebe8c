"""What the sitemaps list: the months (and pages of a month) of public articles, one page of a
month, and the articles of the last 48 hours.

Every statement is a range of an index whatever the archive's size. A month is counted
within `ix_article_status_published_at_id_deleted_at_updated_at`, which holds every column
it reads (the index of sitemaps keeps those counts: app/sitemaps/months.py); a page of a
month starts after the last article of the page before (a keyset: the boundary is found in
that same index, then the page is read from there). So a page costs what its own articles
cost, at 10,000 articles or at 1,000,000 (bench/README.md has the figures).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import Session, col

from app.articles import queries, translations, view
from app.http.pagination import after_cursor
from app.store.models import Article, Category
from app.store.models.common import to_utc, utcnow

NEWS_HOURS = 48  # Google News reads articles of the last two days
NEWS_MAX_URLS = 1_000  # and at most 1,000 URLs in a news sitemap


@dataclass(frozen=True)
class Shard:
    """One article sitemap: a month, and its page when the month has more than one."""

    year: int
    month: int
    page: int = 1
    lastmod: datetime | None = None

    @property
    def name(self) -> str:
        month = f"{self.year:04d}-{self.month:02d}"
        return month if self.page == 1 else f"{month}-{self.page}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return _next_month(self.start)


def _next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def _public_between(start: datetime, end: datetime | None = None) -> list[Any]:
    conds: list[Any] = [queries.public(), col(Article.published_at) >= start]
    if end is not None:
        conds.append(col(Article.published_at) < end)
    return conds


def month(session: Session, start: datetime) -> tuple[int, datetime | None]:
    """How many public articles were published in the month that begins at `start`, and their
    latest `updated_at`: one range of the index, read without the articles' rows."""
    count, lastmod = session.execute(
        select(func.count(), func.max(col(Article.updated_at))).where(*_public_between(start, _next_month(start)))
    ).one()
    return count, to_utc(lastmod) if lastmod else None


def has_news(session: Session, hours: float = NEWS_HOURS) -> bool:
    """Whether an article is on the news sitemap: one seek."""
    return session.scalar(select(col(Article.id)).where(*_news_window(hours)).limit(1)) is not None


# What a sitemap entry shows of an article (and what view.canonical_url reads of it).
_COLUMNS: tuple[Any, ...] = (
    col(Article.id),
    col(Article.slug),
    col(Article.canonical_url),
    col(Article.title),
    col(Article.language),
    col(Article.published_at),
    col(Article.updated_at),
    col(Article.image_url),
    col(Article.image_alt),
    col(Article.image_caption),
    col(Article.image_credit),
    col(Article.translation_group),
    col(Category.slug).label("category_slug"),
)


def _entries(session: Session, conds: list[Any], *, limit: int, newest_first: bool = False) -> list[Row[Any]]:
    order = (col(Article.published_at), col(Article.id))
    stmt = (
        select(*_COLUMNS)
        .outerjoin(Category, col(Category.id) == col(Article.category_id))
        .where(*conds)
        .order_by(*(c.desc() for c in order) if newest_first else order)
        .limit(limit)
    )
    return list(session.execute(stmt).all())


def page(session: Session, shard: Shard, max_urls: int) -> list[Row[Any]]:
    """The articles of one sitemap, in publication order; empty when the month has no such page."""
    conds = _public_between(shard.start, shard.end)
    if shard.page > 1:
        # The last article of the page before, found in the index; the page starts after it.
        boundary = session.execute(
            select(col(Article.published_at), col(Article.id))
            .where(*conds)
            .order_by(col(Article.published_at), col(Article.id))
            .offset((shard.page - 1) * max_urls - 1)
            .limit(1)
        ).first()
        if boundary is None:
            return []
        conds.append(
            after_cursor(col(Article.published_at), col(Article.id), boundary[0], boundary[1], descending=False)
        )
    return _entries(session, conds, limit=max_urls)


# An entry's alternates: (hreflang, URL) of every public member of its translation group, itself
# included (as search engines ask), by language; none outside any group.
Alternates = dict[str, list[tuple[str, str]]]


def alternates(session: Session, rows: list[Row[Any]]) -> Alternates:
    """The alternates of a sitemap's entries: one statement, and only when some are in a group."""
    others = translations.load(session, rows, view.canonical_url)
    out: Alternates = {}
    for row in rows:
        if row.id in others:
            found = [(m["language"], m["url"]) for m in others[row.id]]
            found.append((row.language, view.canonical_url(row, row.category_slug)))
            out[row.id] = sorted(found)
    return out


def _news_window(hours: float) -> list[Any]:
    now = utcnow()
    return [*_public_between(now - timedelta(hours=hours)), col(Article.published_at) <= now]


def news(session: Session, hours: float = NEWS_HOURS) -> list[Row[Any]]:
    """Public articles published in the last 48 hours (`hours`), newest first (1,000 at most)."""
    return _entries(session, _news_window(hours), limit=NEWS_MAX_URLS, newest_first=True)
