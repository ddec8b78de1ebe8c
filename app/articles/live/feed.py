"""A live blog's updates in the change feed, webhooks and purges: each write of one, and all
of them when their article comes into the public's view or leaves it."""

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from app.changes import feed
from app.store.models import Article, ArticleUpdate


def purge_keys(article_id: str) -> set[str]:
    """What an update's write makes stale: the blog's own pages (its updates, one update, the
    article with include=updates or as JSON-LD: app/cache/surrogates.py), no list. (The
    export, which holds updates, is never kept: `Cache-Control: no-store`.)"""
    return {f"updates:{article_id}"}


def record(
    session: Session,
    update_id: str,
    article_id: str,
    *,
    version: int,
    verb: str,
    reason: str | None = None,
    due_at: datetime | None = None,
) -> None:
    """One update's change (`verb`: created, updated or deleted) while its blog is public."""
    feed.record_verb(
        session,
        "update",
        update_id,
        version=version,
        verb=verb,
        purge=purge_keys(article_id),
        reason=reason,
        due_at=due_at,
        article_id=article_id,
    )


def record_all(session: Session, article: Article, *, reason: str, due_at: datetime | None = None) -> None:
    """The article came into view (its updates are created for the public) or left it (they
    are deleted, for the article's `reason`)."""
    held = session.execute(
        select(col(ArticleUpdate.id), col(ArticleUpdate.version)).where(col(ArticleUpdate.article_id) == article.id)
    ).all()
    for update_id, version in held:
        if article.is_public:
            record(session, update_id, article.id, version=version, verb="created", due_at=due_at)
        else:
            record(session, update_id, article.id, version=version, verb="deleted", reason=reason, due_at=due_at)
