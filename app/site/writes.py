"""Writing the site-wide comments switch (`PUT /v1/settings/comments`, the demo loader)."""

from sqlalchemy import select
from sqlmodel import Session, col

from app.cache.surrogates import ALL_ARTICLES
from app.changes import feed
from app.site.comments import COMMENTS_KEY, DEFAULT_COMMENTS
from app.store.models import Article, SiteSetting
from app.store.models.common import utcnow


def set_comments(session: Session, *, enabled: bool, reason: str | None) -> SiteSetting:
    row = session.get(SiteSetting, COMMENTS_KEY)
    value = {"enabled": enabled, "reason": reason}
    before = {**DEFAULT_COMMENTS, **(row.value if row is not None else {})}
    if row is None:
        row = SiteSetting(key=COMMENTS_KEY, value=value, updated_at=utcnow())
    else:
        row.value, row.updated_at, row.version = value, utcnow(), row.version + 1
    session.add(row)
    session.flush()
    if before == value or (before["enabled"] and enabled):
        return row  # while comments are on, the site's reason shows nowhere
    # The policy shows in every article response: each public one changes (the change feed
    # hears of each), and every list and every article is purged.
    public = select(col(Article.id), col(Article.version)).where(Article.is_public)
    feed.record_all(session, "article", public, purge={"articles", "feeds", ALL_ARTICLES})
    return row
