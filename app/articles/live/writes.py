"""Writing a live blog's updates: create, merge-patch (If-Match), restore a revision, and delete.

An update is part of its blog but a resource of its own: writing one leaves the article's
version alone, records the update's own change (`update.created` …) while the blog is
public, and purges the blog's own pages only (`feed.purge_keys`), never the article lists.
Its article's row is held for the write (FOR SHARE on PostgreSQL), so a publish or unpublish
running meanwhile sees it before or after, never half.
"""

from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.articles import quotes as article_quotes
from app.articles import writes as article_writes
from app.articles.live import feed, queries
from app.articles.schemas import UpdateCreate
from app.http import etags
from app.http.problems import Conflict, NotFound
from app.kit import merge_patch, writes
from app.store.engine import is_postgres
from app.store.models import (
    Article,
    ArticleUpdate,
    ArticleUpdateRevision,
    AttributionRole,
    Author,
    Source,
    UpdateAttribution,
    UpdateQuote,
)
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
        "external_id": data.external_id,
        "headline": data.headline,
        "body": body,
        "body_html": article_writes.blocks_html(body, quotes),
        "author_id": author.id if author else None,
        "published_at": to_utc(data.published_at) if data.published_at else None,
        "key_event": data.key_event,
        "pinned": data.pinned,
    }


Attributed = tuple[str, str, str | None, str | None]  # (source id, role, label, url)


def _attributions(session: Session, data: UpdateCreate) -> list[Attributed]:
    """The update's attributions, their sources found by slug or by name (made unlisted, as
    an article's, until something public names them: `_list_sources`)."""
    return [
        (
            refs.resolve(session, Source, item.source, field=f"attributions[{position}].source").id,
            str(item.role),
            item.label,
            item.url,
        )
        for position, item in enumerate(data.attributions)
    ]


def attributions_of(session: Session, update_id: str) -> list[Attributed]:
    return [
        (source_id, str(role), label, url)
        for source_id, role, label, url in session.execute(
            select(
                col(UpdateAttribution.source_id),
                col(UpdateAttribution.role),
                col(UpdateAttribution.label),
                col(UpdateAttribution.url),
            )
            .where(col(UpdateAttribution.update_id) == update_id)
            .order_by(col(UpdateAttribution.position), col(UpdateAttribution.id))
        ).all()
    ]


def _set_attributions(session: Session, update_id: str, items: list[Attributed]) -> None:
    session.execute(delete(UpdateAttribution).where(col(UpdateAttribution.update_id) == update_id))
    session.add_all(
        UpdateAttribution(
            id=new_id(),
            update_id=update_id,
            source_id=source_id,
            role=AttributionRole(role),
            label=label,
            url=url,
            position=position,
        )
        for position, (source_id, role, label, url) in enumerate(items)
    )


def _set_quote_links(session: Session, update: ArticleUpdate) -> None:
    """The quotes the update's body shows, block by block (`UpdateQuote`): what the quote
    guard reads."""
    session.execute(delete(UpdateQuote).where(col(UpdateQuote.update_id) == update.id))
    session.add_all(
        UpdateQuote(update_id=update.id, block=index, quote_id=block["quote_id"])
        for index, block in enumerate(update.body)
        if block.get("type") == "quote" and block.get("quote_id")
    )


def _list_sources(session: Session, blog: Article, items: list[Attributed]) -> None:
    """The blog is public: so are the sources its update names (an inline one was unlisted)."""
    if blog.is_public and refs.named_unlisted(session):
        refs.made_public(session, people=[], sources=[source_id for source_id, *_ in items])


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
    **times: Any,
) -> tuple[Article, ArticleUpdate]:
    """A new update of the blog, published now unless `published_at` says when, by `key`
    (None: an internal caller); `times` (created_at, updated_at) are an import's, which keeps
    them. 409 naming `external_id` when another update has it."""
    blog = _blog(session, article_id)
    values = _columns(session, blog, data)
    values["published_at"] = values["published_at"] or utcnow()
    check_external_id(session, data.external_id, None)
    attributed = _attributions(session, data)
    update = ArticleUpdate(id=new_id(), article_id=blog.id, **values, **times)
    session.add(update)
    writes.flush_or_conflict(session, session.flush, {"external_id": data.external_id})
    _set_attributions(session, update.id, attributed)
    _set_quote_links(session, update)
    _list_sources(session, blog, attributed)
    _revision(session, update, key)
    if blog.is_public:
        feed.record(session, update.id, blog.id, version=update.version, verb="created")
    return blog, update


def document(session: Session, update: ArticleUpdate) -> dict[str, Any]:
    """The update as a create body: what a merge patch applies to."""
    author = session.get(Author, update.author_id) if update.author_id else None
    attributed = attributions_of(session, update.id)
    slugs = (
        dict(
            session.execute(
                select(col(Source.id), col(Source.slug)).where(col(Source.id).in_({s for s, *_ in attributed}))
            ).all()
        )
        if attributed
        else {}
    )
    return {
        "external_id": update.external_id,
        "headline": update.headline,
        "body": [dict(block) for block in update.body],
        "author": author.slug if author else None,
        "published_at": iso(update.published_at),
        "key_event": update.key_event,
        "pinned": update.pinned,
        "attributions": [
            {"source": slugs[source_id], "role": role, "label": label, "url": url}
            for source_id, role, label, url in attributed
        ],
    }


def check_external_id(session: Session, external_id: str | None, update_id: str | None) -> None:
    """409 naming `external_id` when another update has it."""
    if not external_id:
        return
    taken = session.scalars(select(col(ArticleUpdate.id)).where(col(ArticleUpdate.external_id) == external_id)).first()
    if taken is not None and taken != update_id:
        raise Conflict(
            f"The external_id {external_id!r} is taken by another update.",
            errors=[{"field": "external_id", "message": f"{external_id!r} is taken"}],
        )


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
    """The content of revision `number` (headline, body, author, attributions, flags) as a new
    version, with its own revision, even when it equals the current one; its `published_at`
    and `external_id` stay, so a restore never moves the update in its blog nor renames it
    for an import. If-Match optional (stale: 412); a quote the revision shows that the blog no
    longer holds is a 422 naming the block, a source since deleted one naming the attribution."""
    blog = _blog(session, article_id, writing=False)
    row = queries.get_one(session, blog, update_id)
    expected = row.version if if_match is None else etags.expected_version(if_match, row.version)
    snapshot = queries.revision(session, blog, update_id, number).snapshot
    kept = {"published_at": iso(row.published_at), "external_id": row.external_id}
    _write(session, blog, row, {**snapshot, **kept}, expected, key=key, always=True)
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
    attributed = _attributions(session, data)
    reattributed = attributed != attributions_of(session, row.id)
    if not changed and not reattributed and not always:
        return
    if "external_id" in changed:
        check_external_id(session, data.external_id, row.id)
    writes.bump(session, row, expected, changed)
    if reattributed:
        _set_attributions(session, row.id, attributed)
    if "body" in changed:
        _set_quote_links(session, row)
    _list_sources(session, blog, attributed)
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
    session.execute(delete(ArticleUpdateRevision).where(col(ArticleUpdateRevision.update_id) == row.id))
    writes.delete_at_version(session, row, expected, "update")
