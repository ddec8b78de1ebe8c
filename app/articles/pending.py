"""Changes staged on a published article: its pending version.

An editor prepares the next version of a live article without the public seeing it: a copy of
the article's write shape (what POST /v1/articles takes), changed by merge patches validated
as an article PATCH is, read by keys and preview tokens, compared with the live version, and
published in one write: `writes.replace`, so one new version, one revision, one change in the
feed, one `article.updated` webhook and the purges, as any edit of a live article makes.

A pending version carries content only. Its lifecycle fields (status, published_at,
expires_at, embargoed_until) are always the live article's: it shows them as the live article
has them now, a patch may not change them, and publishing keeps the live ones.

It remembers the live version it was started from (`based_on_version`): publishing it over a
live article that moved on since (an edit, an unpublish, an expiry…) would silently undo that
change, so it is a 412 naming both versions, and the editor starts again from the live one.
A publish at a time is kept on the row (`publish_at`) and applied by the clock's one job
(app/articles/schedule.py); one that went stale meanwhile is not applied, and waits unscheduled.
"""

import difflib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.articles import queries, revisions, shape, writes
from app.articles.schemas import ArticleCreate
from app.http import etags
from app.http.problems import Conflict, NotFound, PreconditionFailed, ValidationFailed
from app.kit import merge_patch
from app.kit.hooks import Hook
from app.store.engine import is_postgres
from app.store.models import Article, ArticlePending, ArticleStatus, Author, Category, Tag
from app.store.models.common import iso, to_utc, utcnow
from app.store.models.key import ApiKey
from app.taxonomy import refs

log = logging.getLogger("gazette.pending")

# What a pending version never changes: the live article's lifecycle.
LIFECYCLE = ("status", "published_at", "expires_at", "embargoed_until")
# Called with (session, article, correction) when a pending version published with a
# correction notice ({"kind", "text"}) has become the live one. Registered by app.wiring.
PUBLISHED_WITH_CORRECTION: Hook[...] = Hook("pending.published_with_correction")


def _article(session: Session, article_id: str) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"No article with id {article_id!r}.")
    return article


def _held(session: Session, article_id: str, *, lock: bool = True) -> ArticlePending | None:
    """The pending row; to be written (`lock`), held until the commit on PostgreSQL (SQLite's
    write transaction holds the whole database already)."""
    stmt = select(ArticlePending).where(col(ArticlePending.article_id) == article_id)
    if lock and is_postgres(session):
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def _pending(session: Session, article_id: str, *, lock: bool = True) -> ArticlePending:
    _article(session, article_id)
    pending = _held(session, article_id, lock=lock)
    if pending is None:
        raise NotFound(f"Article {article_id!r} has no pending version.")
    return pending


def get(session: Session, article_id: str) -> ArticlePending:
    """The article's pending version; 404 when the article or its pending version is missing."""
    return _pending(session, article_id, lock=False)


def _live_shape(session: Session, article: Article) -> dict[str, Any]:
    return shape.write_shape(session, article)


def document_of(pending: ArticlePending, live: Mapping[str, Any]) -> dict[str, Any]:
    """The pending write shape, with the live article's lifecycle fields."""
    return {**pending.document, **{name: live[name] for name in LIFECYCLE}}


def _check(session: Session, document: dict[str, Any]) -> ArticleCreate:
    """`document` checked as an article PATCH's result is: the schema (422 naming each field),
    the categories, tags and authors it names, and its quote blocks."""
    data = writes.validated(document)
    if data.category:
        refs.by_slugs(session, Category, [data.category], field="category")
    refs.by_slugs(session, Category, list(data.categories), field="categories")
    refs.by_slugs(session, Tag, list(data.tags), field="tags")
    refs.by_slugs(session, Author, list(data.authors), field="authors")
    ids = {q.id for q in data.quotes if q.id}
    for index, block in enumerate(data.body):
        if block.type != "quote":
            continue
        if block.quote is not None and block.quote >= len(data.quotes):
            raise ValidationFailed(
                "A quote block points past the article's quotes.",
                errors=[{"field": f"body[{index}].quote", "message": f"no quote at index {block.quote}"}],
            )
        if block.quote is None and block.quote_id not in ids:
            raise ValidationFailed(
                "A quote block must name one of the article's quotes.",
                errors=[{"field": f"body[{index}].quote_id", "message": "not a quote of this article"}],
            )
    return data


def _content(document: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name not in LIFECYCLE}


def create(session: Session, article_id: str) -> ArticlePending:
    """A pending version of a published article, a copy of its live version; 409 when it has
    one already, or is not published."""
    article = _article(session, article_id)
    if article.deleted_at is not None or article.status != ArticleStatus.published:
        raise Conflict(
            f"Only a published article has a pending version; this one is "
            f"{'deleted' if article.deleted_at is not None else article.status}: change it directly."
        )
    if _held(session, article_id) is not None:
        raise Conflict("This article has a pending version already: change it (PATCH …/pending), or discard it first.")
    now = utcnow()
    pending = ArticlePending(
        article_id=article.id,
        based_on_version=article.version,
        document=_content(_live_shape(session, article)),
        created_at=now,
        updated_at=now,
    )
    session.add(pending)
    session.flush()
    return pending


def _expected(pending: ArticlePending, if_match: str | None, *, required: bool) -> None:
    if if_match is not None or required:
        etags.expected_version(if_match, pending.version)


def _touch(pending: ArticlePending) -> None:
    pending.version += 1
    pending.updated_at = utcnow()


def update(session: Session, article_id: str, patch: dict[str, Any], *, if_match: str | None) -> ArticlePending:
    """PATCH: `patch` (JSON Merge Patch) applied to the pending write shape, the result
    validated as an article PATCH's is; If-Match (the pending version's ETag) required."""
    pending = _pending(session, article_id)
    _expected(pending, if_match, required=True)
    live = _live_shape(session, _article(session, article_id))
    current = document_of(pending, live)
    merged = merge_patch.apply(current, patch)
    moved = [name for name in LIFECYCLE if merged.get(name) != current[name]]
    if moved:
        raise ValidationFailed(
            "A pending version changes content only: publish, unpublish or PATCH the article for its lifecycle.",
            errors=[{"field": name, "message": "is the live article's; not changed here"} for name in moved],
        )
    _check(session, merged)
    pending.document = _content(merged)
    _touch(pending)
    session.flush()
    return pending


def discard(session: Session, article_id: str, *, if_match: str | None) -> None:
    pending = _pending(session, article_id)
    _expected(pending, if_match, required=False)
    session.delete(pending)
    session.flush()


def _stale(pending: ArticlePending, article: Article) -> PreconditionFailed:
    return PreconditionFailed(
        f"The live article moved on since this pending version was started: it is based on version "
        f"{pending.based_on_version}, and the live article is at version {article.version}. "
        "Discard it and start again from the live version.",
        errors=[
            {
                "field": "based_on_version",
                "message": f"is {pending.based_on_version}; the live version is {article.version}",
            }
        ],
        headers={"ETag": etags.of_version(pending.version)},
    )


def publish(
    session: Session,
    article_id: str,
    *,
    at: datetime | None,
    if_match: str | None,
    key: ApiKey | None,
    correction: dict[str, Any] | None = None,
) -> Article | ArticlePending:
    """Publish the pending version now (the article, written), or at `at` when it is in the
    future (the pending version, scheduled). 412 when `if_match` (the pending version's ETag)
    is stale, or when the live article moved on since it was started; 409 once deleted."""
    pending = _pending(session, article_id)
    _expected(pending, if_match, required=False)
    if correction and not PUBLISHED_WITH_CORRECTION:
        raise ValidationFailed(
            "This server keeps no correction notices yet: publish without one.",
            errors=[{"field": "correction", "message": "not available on this server"}],
        )
    article = queries.held(session, article_id)
    if article is None:  # pragma: no cover - _pending found it
        raise NotFound(f"No article with id {article_id!r}.")
    if article.deleted_at is not None:
        raise Conflict("This article is deleted: restore it first (POST …/restore).")
    if pending.based_on_version != article.version:
        raise _stale(pending, article)
    when = to_utc(at) if at else None
    if when is not None and when > utcnow():
        pending.publish_at = when
        pending.correction = correction
        _touch(pending)
        session.flush()
        return pending
    return _apply(session, article, pending, key=key, correction=correction)


def _apply(
    session: Session,
    article: Article,
    pending: ArticlePending,
    *,
    key: ApiKey | None,
    correction: dict[str, Any] | None,
    due_at: datetime | None = None,
) -> Article:
    """The pending version as the live one, in one write through the article's own path."""
    document = document_of(pending, _live_shape(session, article))
    data = _check(session, document)
    session.delete(pending)
    writes.replace(
        session,
        article,
        data,
        key=key,
        key_name=revisions.SCHEDULER if key is None else None,
        due_at=due_at,
    )
    if correction:
        PUBLISHED_WITH_CORRECTION(session, article, correction)
    return article


# The clock's job ---------------------------------------------------------------------------


def due(session: Session, *, now: datetime, limit: int = 100) -> list[str]:
    """The articles whose pending version's publishing time has passed, oldest first."""
    stmt = (
        select(col(ArticlePending.article_id))
        .where(col(ArticlePending.publish_at) <= now)
        .order_by(col(ArticlePending.publish_at), col(ArticlePending.article_id))
        .limit(limit)
    )
    return list(session.scalars(stmt))


def next_due(session: Session) -> datetime | None:
    at = session.scalar(select(func.min(col(ArticlePending.publish_at))))
    return to_utc(at) if at is not None else None


def apply_if_due(session: Session, article_id: str, *, now: datetime) -> bool:
    """Publish one pending version whose time has come, recording the time it was due. One
    that went stale (the live article moved on) is unscheduled and left for its editors."""
    stmt = select(ArticlePending).where(
        col(ArticlePending.article_id) == article_id, col(ArticlePending.publish_at) <= now
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    pending = session.scalars(stmt).first()
    if pending is None:
        return False
    article = queries.held(session, article_id)
    if article is None or article.deleted_at is not None or pending.based_on_version != article.version:
        log.warning("pending version of article %s not published at its time: the live article moved on", article_id)
        pending.publish_at = None
        _touch(pending)
        session.flush()
        return True
    due_at = pending.publish_at
    _apply(session, article, pending, key=None, correction=pending.correction, due_at=due_at)
    return True


# Representations ---------------------------------------------------------------------------


def represent(session: Session, pending: ArticlePending) -> dict[str, Any]:
    article = _article(session, pending.article_id)
    return {
        "article_id": pending.article_id,
        "version": pending.version,
        "based_on_version": pending.based_on_version,
        "live_version": article.version,
        "stale": pending.based_on_version != article.version,
        "created_at": iso(pending.created_at),
        "updated_at": iso(pending.updated_at),
        "publish_at": iso(pending.publish_at),
        "correction": pending.correction,
        "article": document_of(pending, _live_shape(session, article)),
    }


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def diff(session: Session, article_id: str) -> dict[str, Any]:
    """How the pending version differs from the live one: each field that differs (the body
    aside), and the body block by block, aligned by content (difflib), so that a block
    inserted in the middle is one block added, not every later block changed."""
    pending = _pending(session, article_id, lock=False)
    article = _article(session, article_id)
    live = _live_shape(session, article)
    staged = document_of(pending, live)
    fields = [
        {"field": name, "live": live.get(name), "pending": staged.get(name)}
        for name in sorted(set(live) | set(staged))
        if name != "body" and live.get(name) != staged.get(name)
    ]
    old, new = list(live.get("body") or []), list(staged.get("body") or [])
    matcher = difflib.SequenceMatcher(a=[_canonical(b) for b in old], b=[_canonical(b) for b in new], autojunk=False)
    blocks: list[dict[str, Any]] = []

    def block(change: str, i: int | None, j: int | None) -> dict[str, Any]:
        return {
            "change": change,
            "live_position": i,
            "pending_position": j,
            "live": old[i] if i is not None else None,
            "pending": new[j] if j is not None else None,
        }

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        blocks.extend(block("changed", i1 + k, j1 + k) for k in range(paired))
        blocks.extend(block("removed", i, None) for i in range(i1 + paired, i2))
        blocks.extend(block("added", None, j) for j in range(j1 + paired, j2))
    return {
        "article_id": article_id,
        "based_on_version": pending.based_on_version,
        "live_version": article.version,
        "fields": fields,
        "body": blocks,
    }


# Moving between Gazettes (app/transfer/) ----------------------------------------------------


def put(
    session: Session,
    article: Article,
    document: dict[str, Any],
    *,
    stale: bool,
    created_at: datetime | None,
    updated_at: datetime | None,
    publish_at: datetime | None,
    correction: dict[str, Any] | None,
) -> bool:
    """Make the article's pending version what an export says (an import): `document` in the
    export's portable form (quotes by external_id, quote blocks by index), based on the live
    version now unless it was `stale`. Returns whether anything changed."""
    live = _live_shape(session, article)
    by_external = {q["external_id"]: q["id"] for q in live["quotes"] if q.get("external_id")}
    by_external |= {q["id"]: q["id"] for q in live["quotes"]}  # an export names a quote without one by its id
    quotes = [dict(q) for q in document.get("quotes") or []]
    for quote in quotes:
        if quote.get("id") is None and quote.get("external_id") in by_external:
            quote["id"] = by_external[quote["external_id"]]
    body = []
    for given in document.get("body") or []:
        block = dict(given)
        position = block.get("quote")
        known = isinstance(position, int) and position < len(quotes) and quotes[position].get("id")
        if block.get("type") == "quote" and known:
            block["quote_id"] = quotes[block.pop("quote")]["id"]
        body.append(block)
    local = {**_content(document), "body": body, "quotes": quotes}
    _check(session, {**local, **{name: live[name] for name in LIFECYCLE}})
    now = utcnow()
    at = to_utc(publish_at) if publish_at else None
    values: dict[str, Any] = {
        "based_on_version": 0 if stale else article.version,
        "document": local,
        "created_at": to_utc(created_at) if created_at else now,
        "updated_at": to_utc(updated_at) if updated_at else now,
        "publish_at": at,
        "correction": correction,
    }
    row = _held(session, article.id)
    if row is None:
        session.add(ArticlePending(article_id=article.id, **values))
        session.flush()
        return True
    same = (
        row.document == values["document"]
        and (row.based_on_version != article.version) == stale
        and iso(row.publish_at) == iso(at)
        and row.correction == correction
    )
    if same:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    row.version += 1
    session.flush()
    return True
