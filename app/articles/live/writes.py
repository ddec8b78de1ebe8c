"""Writing a live blog's updates: create, merge-patch (If-Match), restore a revision, and delete.

An update is part of its blog but a resource of its own: writing one leaves the article's
version alone, records the update's own change (`update.created` …) while the blog is
public, and purges the blog's own pages only (`feed.purge_keys`), never the article lists.
Its article's row is held for the write (FOR SHARE on PostgreSQL), so a publish or unpublish
running meanwhile sees it before or after, never half.
"""

from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlmodel import Session, col

from app.articles import quotes as article_quotes
from app.articles import writes as article_writes
from app.articles.live import feed, queries
from app.articles.schemas import UpdateCreate
from app.http import etags
from app.http.problems import Conflict, NotFound, PreconditionFailed
from app.kit import merge_patch, writes
from app.store.engine import is_postgres
from app.store.models import Article, ArticleUpdate, ArticleUpdateRevision, Author
from app.store.models.common import iso, new_id, to_utc, utcnow
from app.store.models.key import ApiKey
from app.taxonomy import refs


def _blog(session: Session, article_id: str, *, writing: bool = True) -> Article:
    """The live blog, its row held until the commit; 404 for none (or a deleted one), 409 for
    an article that is not a live blog when an update is written to it."""
    stmt = select(Article).where(col(Article.id) == article_id)
    if is_postgres(session):
        stmt = stmt.with_for_update(read=True)
    article = session.scalars(stmt).first()
    if article is None or article.deleted_at is not None:
        raise NotFound(f"No article with id {article_id!r}.")
    if writing and not article.live:
        raise Conflict(
            "This article is not a live blog: make it one first (PATCH it with `live`).",
            errors=[{"field": "live", "message": "the article is not a live blog"}],
        )
    return article


def _columns(session: Session, blog: Article, data: UpdateCreate) -> dict[str, Any]:
    quotes = article_quotes.stored(session, blog)
    body = article_writes.stored_blocks(data.body, quotes)
    author = refs.by_slugs(session, Author, [data.author], field="author")[0] if data.author else None
    return {
        "headline": data.headline,
        "body": body,
        "body_html": article_writes.blocks_html(body, quotes),
        "author_id": author.id if author else None,
        "published_at": to_utc(data.published_at) if data.published_at else None,
        "key_event": data.key_event,
        "pinned": data.pinned,
    }


def _revision(session: Session, update: ArticleUpdate, key: ApiKey | None) -> None:
    """Keep the update as it is now as the revision numbered by its (just bumped) version."""
    session.add(
        ArticleUpdateRevision(
            update_id=update.id,
            number=update.version,
            created_at=update.updated_at,
            key_id=key.id if key else None,
            key_name=key.name if key else None,
            snapshot=document(session, update),
        )
    )


def create(
    session: Session,
    article_id: str,
    data: UpdateCreate,
    *,
    key: ApiKey | None = None,
    update_id: str | None = None,
    **times: Any,
) -> tuple[Article, ArticleUpdate]:
    """A new update of the blog, published now unless `published_at` says when, by `key`
    (None: an internal caller); `update_id` and `times` (created_at, updated_at) are an
    import's, which keeps them."""
    blog = _blog(session, article_id)
    values = _columns(session, blog, data)
    values["published_at"] = values["published_at"] or utcnow()
    update = ArticleUpdate(id=update_id or new_id(), article_id=blog.id, **values, **times)
    session.add(update)
    session.flush()
    _revision(session, update, key)
    if blog.is_public:
        feed.record(session, update.id, blog.id, version=update.version, verb="created")
    return blog, update


def document(session: Session, update: ArticleUpdate) -> dict[str, Any]:
    """The update as a create body: what a merge patch applies to."""
    author = session.get(Author, update.author_id) if update.author_id else None
    return {
        "headline": update.headline,
        "body": [dict(block) for block in update.body],
        "author": author.slug if author else None,
        "published_at": iso(update.published_at),
        "key_event": update.key_event,
        "pinned": update.pinned,
    }


def update(
    session: Session,
    article_id: str,
    update_id: str,
    patch: dict[str, Any],
    *,
    if_match: str | None,
    key: ApiKey | None = None,
) -> tuple[Article, ArticleUpdate]:
    """PATCH: `patch` (JSON Merge Patch) applied to the update's create shape, validated as a
    create, written as a new version; If-Match required. `published_at: null` keeps the time."""
    blog = _blog(session, article_id, writing=False)
    row = queries.get_one(session, blog, update_id)
    expected = etags.expected_version(if_match, row.version)
    merged = merge_patch.apply(document(session, row), patch)
    _write(session, blog, row, merged, expected, key=key)
    return blog, row


def restore(
    session: Session,
    article_id: str,
    update_id: str,
    number: int,
    *,
    if_match: str | None,
    key: ApiKey | None = None,
) -> tuple[Article, ArticleUpdate]:
    """The content of revision `number` (headline, body, author, flags) as a new version, with
    its own revision, even when it equals the current one; its `published_at` stays, so a
    restore never moves the update in its blog. If-Match optional (stale: 412); a quote the
    revision shows that the blog no longer holds is a 422 naming the block."""
    blog = _blog(session, article_id, writing=False)
    row = queries.get_one(session, blog, update_id)
    expected = row.version if if_match is None else etags.expected_version(if_match, row.version)
    snapshot = queries.revision(session, blog, update_id, number).snapshot
    _write(session, blog, row, {**snapshot, "published_at": iso(row.published_at)}, expected, key=key, always=True)
    return blog, row


def _write(
    session: Session,
    blog: Article,
    row: ArticleUpdate,
    shape: dict[str, Any],
    expected: int,
    *,
    key: ApiKey | None,
    always: bool = False,
) -> None:
    """`shape` (the create shape) validated and written over `row` as its next version, with
    its revision and, while the blog is public, its change; nothing when it changes nothing,
    unless `always`."""
    data = writes.validate(UpdateCreate, shape)
    values = _columns(session, blog, data)
    if values["published_at"] is None:
        values["published_at"] = row.published_at
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed and not always:
        return
    writes.bump(session, row, expected, changed)
    _revision(session, row, key)
    if blog.is_public:
        feed.record(session, row.id, blog.id, version=row.version, verb="updated")


def remove(session: Session, article_id: str, update_id: str, *, if_match: str | None) -> None:
    """Delete the update (for good, its revisions with it); If-Match required."""
    blog = _blog(session, article_id, writing=False)
    row = queries.get_one(session, blog, update_id)
    expected = etags.expected_version(if_match, row.version)
    if blog.is_public:
        # Recorded while the row can still be read (the webhook's tombstone is rendered now).
        feed.record(session, row.id, blog.id, version=expected + 1, verb="deleted", reason="deleted")
    session.expunge(row)
    session.execute(delete(ArticleUpdateRevision).where(col(ArticleUpdateRevision.update_id) == row.id))
    result = cast(
        CursorResult[Any],
        session.execute(
            delete(ArticleUpdate)
            .where(col(ArticleUpdate.id) == row.id, col(ArticleUpdate.version) == expected)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise PreconditionFailed("This update was changed meanwhile; read it again.")
