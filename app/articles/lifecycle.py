"""An article's lifecycle: publish (now or at a time), unpublish, soft delete and restore,
restoring an old revision, and publishing what is due.

Every step is one new version with its revision and ends with after_write. Whatever makes
an article public or takes it down needs content:publish; other steps need content:write.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.articles import revisions, shape, writes
from app.http import etags
from app.http.problems import Conflict, NotFound
from app.keys import service
from app.kit import writes as write_support
from app.store.engine import is_postgres
from app.store.models import Article, ArticleStatus
from app.store.models.common import to_utc, utcnow
from app.store.models.key import ApiKey, Scope


def _load(session: Session, article_id: str) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"No article with id {article_id!r}.")
    return article


def _expected(article: Article, if_match: str | None) -> int:
    """If-Match is optional here: when sent it must be current (412), when not, any version will do."""
    return article.version if if_match is None else etags.expected_version(if_match, article.version)


def _check_publish(key: ApiKey | None) -> None:
    if key is not None:
        service.check_scope(key, Scope.content_publish)


def _not_deleted(article: Article) -> None:
    if article.deleted_at is not None:
        raise Conflict("This article is deleted: restore it first (POST …/restore).")


def _change(
    session: Session,
    article: Article,
    expected: int,
    values: dict[str, Any],
    *,
    key: ApiKey | None,
    event: str | None,
    key_name: str | None = None,
) -> Article:
    """`values` written as one new version (412 if `expected` is no longer current), its revision, after_write."""
    was_public = article.is_public
    write_support.bump(session, article, expected, values)
    revisions.record(session, article, key=key, key_name=key_name)
    writes.after_write(session, article, was_public=was_public, event=event)
    return article


def publish(
    session: Session, article_id: str, *, at: datetime | None, if_match: str | None, key: ApiKey | None
) -> Article:
    """Publish now, or schedule for `at` when it is in the future (status scheduled).
    `at` in the past publishes now with that date; a republished article keeps its first date."""
    _check_publish(key)
    article = _load(session, article_id)
    expected = _expected(article, if_match)
    _not_deleted(article)
    if article.status == ArticleStatus.published:
        raise Conflict("This article is already published; unpublish it first to schedule it.")
    now = utcnow()
    when = to_utc(at) if at else None
    if when is not None and when > now:
        values = {"status": ArticleStatus.scheduled, "publish_at": when}
        return _change(session, article, expected, values, key=key, event=None)
    values = {
        "status": ArticleStatus.published,
        "publish_at": None,
        "published_at": when or article.published_at or now,
    }
    return _change(session, article, expected, values, key=key, event="article.published")


def unpublish(session: Session, article_id: str, *, if_match: str | None, key: ApiKey | None) -> Article:
    """A published article goes down (unpublished); a scheduled one goes back to draft."""
    _check_publish(key)
    article = _load(session, article_id)
    expected = _expected(article, if_match)
    _not_deleted(article)
    values: dict[str, Any]
    if article.status == ArticleStatus.published:
        values = {"status": ArticleStatus.unpublished}
        return _change(session, article, expected, values, key=key, event="article.unpublished")
    if article.status == ArticleStatus.scheduled:
        values = {"status": ArticleStatus.draft, "publish_at": None}
        return _change(session, article, expected, values, key=key, event=None)
    raise Conflict(f"This article is {article.status}: only a published or scheduled one can be unpublished.")


def delete(session: Session, article_id: str, *, if_match: str | None, key: ApiKey | None) -> Article:
    """Soft delete: the article leaves every public path; restore brings it back as it was."""
    article = _load(session, article_id)
    expected = etags.expected_version(if_match, article.version)
    _not_deleted(article)
    if article.is_public:
        _check_publish(key)
    return _change(session, article, expected, {"deleted_at": utcnow()}, key=key, event="article.deleted")


def restore(session: Session, article_id: str, *, if_match: str | None, key: ApiKey | None) -> Article:
    """Undo a delete: the article is back in the state it was deleted in (published: public again)."""
    article = _load(session, article_id)
    expected = _expected(article, if_match)
    if article.deleted_at is None:
        raise Conflict("This article is not deleted.")
    public = article.status == ArticleStatus.published
    if public:
        _check_publish(key)
    return _change(
        session, article, expected, {"deleted_at": None}, key=key, event="article.published" if public else None
    )


def restore_revision(
    session: Session, article_id: str, number: int, *, if_match: str | None, key: ApiKey | None
) -> Article:
    """The content of revision `number` (title, body, quotes, links…) as a new version.
    The slug and the lifecycle stay as they are now: restoring text never moves a URL or
    publishes, unpublishes or reschedules anything."""
    article = _load(session, article_id)
    _expected(article, if_match)
    _not_deleted(article)
    snapshot = revisions.get(session, article_id, number).snapshot
    current = shape.write_shape(session, article)
    document = {**snapshot, **{name: current[name] for name in ("slug", "status", "published_at")}}
    data = writes.validated(document)
    return writes.replace(session, article, data, key=key, if_match=if_match)


def due_ids(session: Session, *, now: datetime | None = None, limit: int = 100) -> list[str]:
    """Scheduled articles whose time has come (or passed while no server was running), oldest first."""
    stmt = (
        select(col(Article.id))
        .where(
            col(Article.status) == ArticleStatus.scheduled,
            col(Article.publish_at) <= (now or utcnow()),
            col(Article.deleted_at).is_(None),
        )
        .order_by(col(Article.publish_at), col(Article.id))
        .limit(limit)
    )
    return list(session.scalars(stmt))


def next_due(session: Session) -> datetime | None:
    """When the next scheduled article is due (None: none is scheduled)."""
    stmt = select(func.min(col(Article.publish_at))).where(
        col(Article.status) == ArticleStatus.scheduled, col(Article.deleted_at).is_(None)
    )
    return session.scalar(stmt)


def publish_if_due(session: Session, article_id: str, *, now: datetime | None = None) -> bool:
    """Publish one scheduled article if it is still due; another process publishing it at
    the same moment makes this a no-op (the row is locked and skipped on PostgreSQL)."""
    stmt = select(Article).where(
        col(Article.id) == article_id,
        col(Article.status) == ArticleStatus.scheduled,
        col(Article.publish_at) <= (now or utcnow()),
        col(Article.deleted_at).is_(None),
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    article = session.scalars(stmt).first()
    if article is None:
        return False
    values = {
        "status": ArticleStatus.published,
        "publish_at": None,
        "published_at": article.published_at or article.publish_at,
    }
    _change(
        session, article, article.version, values, key=None, key_name=revisions.SCHEDULER, event="article.published"
    )
    return True
