"""The months of the sitemap index, kept in a table (`sitemap_month`) so that building the
index costs what its months cost, not what the archive does.

Counting every month of the archive each time the index was built cost 8 s on SQLite and 2 s
on PostgreSQL at 1,000,000 articles (bench/sitemap_cost.py), and the index is built again
after every write to an article (its cache is purged). Now the index reads the table, and
counts again only the months that may have changed since:
- a month a write touched. Triggers on `article` (migration a7d3e9c1f5b2) add the
  `published_at` of each article written that was or is published and not deleted, before
  and after the write, to `sitemap_change`, in the writer's own transaction. There is no
  single place in the code every article write goes through (the API's writes, the clock's
  job, imports, bench/generate.py's bulk load, hand-written SQL): the table itself is the
  one choke point, and a trigger sees every row whoever writes it;
- a month the clock changed with no write: `Article.is_public` reads embargoes and expiries
  against the clock, so each month keeps the next time one of its articles crosses one
  (`valid_until`) and is counted again once the clock has passed it.

Counting a month is one range of an index (`queries.month`), whatever the archive's size.

Why no write is missed: the builder removes the marks it reads (DELETE … RETURNING, its first
statement) and counts afterwards. A mark and its article's write commit together, so a mark
it removed belongs to a write its counts see; a mark not yet committed is not removed, and
the next build counts its month. On PostgreSQL two builders take turns (an advisory lock)
so that one holding older counts never writes them over newer ones; SQLite's writers queue
on its write lock anyway.
"""

import math
from datetime import UTC, datetime

from sqlalchemy import delete, text
from sqlmodel import Session, col, select

from app.sitemaps import queries
from app.sitemaps.queries import Shard
from app.store.engine import is_postgres
from app.store.models import Article, ArticleStatus, SitemapChange, SitemapMonth
from app.store.models.common import to_utc, utcnow
from app.store.sessions import write_session

LOCK = 0x5174_E3A9  # pg_advisory_xact_lock: the builders of the table take turns


def _name(at: datetime) -> str:
    at = to_utc(at)
    return f"{at.year:04d}-{at.month:02d}"


def _start(name: str) -> datetime:
    year, month = (int(part) for part in name.split("-"))
    return datetime(year, month, 1, tzinfo=UTC)


def shards(session: Session, max_urls: int) -> tuple[list[Shard], datetime | None]:
    """Every article sitemap, oldest month first, with the latest `updated_at` of its month,
    and until when the clock leaves that true: from the table, brought up to date first (on
    the primary) when a month may have changed."""
    months = list(session.exec(select(SitemapMonth)).all())
    if _stale(session, months):
        months = refresh()
    until = min((to_utc(m.valid_until) for m in months if m.valid_until is not None), default=None)
    found: list[Shard] = []
    for row in sorted(months, key=lambda m: m.month):
        start = _start(row.month)
        lastmod = to_utc(row.lastmod) if row.lastmod else None
        found.extend(
            Shard(start.year, start.month, page, lastmod) for page in range(1, math.ceil(row.urls / max_urls) + 1)
        )
    return found, until


def _stale(session: Session, months: list[SitemapMonth]) -> bool:
    now = utcnow()
    if any(m.valid_until is not None and to_utc(m.valid_until) <= now for m in months):
        return True
    return session.scalar(select(col(SitemapChange.id)).limit(1)) is not None


def refresh() -> list[SitemapMonth]:
    """Count again every month a write touched or the clock changed; the table after that."""
    with write_session() as session:
        if is_postgres(session):
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
        touched = session.scalars(delete(SitemapChange).returning(col(SitemapChange.published_at))).all()
        now = utcnow()
        months = {m.month: m for m in session.exec(select(SitemapMonth)).all()}
        due = {_name(at) for at in touched}
        due |= {name for name, m in months.items() if m.valid_until is not None and to_utc(m.valid_until) <= now}
        if due:
            boundaries = _boundaries(session, now)
            for name in sorted(due):
                urls, lastmod = queries.month(session, _start(name))
                row = months.get(name)
                if urls == 0 and name not in boundaries:  # kept while an embargo may open it
                    if row is not None:
                        session.delete(row)
                        del months[name]
                    continue
                if row is None:
                    row = months[name] = SitemapMonth(month=name, urls=urls)
                row.urls, row.lastmod, row.valid_until = urls, lastmod, boundaries.get(name)
                session.add(row)
        session.commit()
        return list(months.values())


def _boundaries(session: Session, now: datetime) -> dict[str, datetime]:
    """Each month's next embargo to lift or expiry to pass, of its published articles: what
    makes its count untrue by the clock alone. Read by the range `> now` of the index on each
    time (only the articles with one still ahead), filtered here, so the planner has no other
    way to read them."""
    found: dict[str, datetime] = {}
    for column in (Article.expires_at, Article.embargoed_until):
        stmt = select(col(Article.published_at), col(column), col(Article.status), col(Article.deleted_at)).where(
            col(column) > now
        )
        for published_at, at, status, deleted_at in session.execute(stmt):
            if status == ArticleStatus.published and deleted_at is None and published_at is not None:
                name = _name(published_at)
                found[name] = min(found.get(name, to_utc(at)), to_utc(at))
    return found
