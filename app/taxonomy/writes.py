"""Create, patch (JSON Merge Patch) and delete for categories, people, sources, tags and authors:
one implementation, parameterised by the resource's Kind."""

from typing import Any

from sqlalchemy import CompoundSelect, select, union
from sqlmodel import Session, col

from app.changes import feed
from app.http import etags
from app.http.problems import Conflict, NotFound
from app.kit import merge_patch, slugs, writes
from app.kit.text import slugify
from app.store.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleTag,
    ArticleUpdate,
    Attribution,
    Author,
    Category,
    Person,
    Quote,
    Source,
    Tag,
    UpdateAttribution,
    UpdateQuote,
)
from app.store.sql import AnySelect
from app.taxonomy import directory, hooks, refs
from app.taxonomy.registry import DELETE_RULES, KINDS, CreateBody, Kind, ModelT


def kind_of(model: type[ModelT]) -> Kind:
    return KINDS[model]


def find(session: Session, kind: Kind, slug: str) -> Any:
    """The resource named by its slug, or by one of its old slugs (a write acts on the current one)."""
    row, _ = slugs.find(session, kind.model, kind.resource_type, slug)
    if row is None:
        raise NotFound(f"No {kind.resource_type} with slug {slug!r}.")
    return row


def _claim_slug(session: Session, kind: Kind, *, given: str | None, name: str, row_id: str | None) -> str:
    """A given slug must be free (409 naming it); otherwise one is made from the name."""
    model, resource_type = kind.model, kind.resource_type
    if given is None:
        slug = refs.unique_slug(session, model, slugify(name), resource_type=resource_type, exclude_id=row_id)
    else:
        slug = given
        if slugs.taken_by_another(session, model, resource_type, slug, row_id):
            raise Conflict(
                f"The slug {slug!r} is taken by another {resource_type}.",
                errors=[{"field": "slug", "message": f"{slug!r} is taken"}],
            )
    slugs.take_back(session, resource_type, slug)
    return slug


def create(session: Session, kind: Kind, data: CreateBody) -> dict[str, Any]:
    """A new resource, as the API shows it; its slug from its name (accents folded) unless given."""
    values = kind.to_columns(session, None, data.model_dump(exclude={"slug"}))
    slug = _claim_slug(session, kind, given=data.slug, name=data.name, row_id=None)
    row = kind.model(slug=slug, **{k: writes.plain(v) for k, v in values.items()})
    session.add(row)
    writes.flush_or_conflict(session, session.flush, {"slug": slug})
    _record(session, kind, row, "created", purge={f"{kind.resource_type}:{slug}"})
    return kind.represent(session, row)


def document(session: Session, kind: Kind, row: Any) -> dict[str, Any]:
    """The resource as a create body: what a merge patch applies to."""
    names = set(kind.create.model_fields) - {"slug"}
    out = {"slug": row.slug} | {n: writes.plain(getattr(row, n)) for n in names if hasattr(row, n)}
    return out | kind.to_document(session, row)


def update(session: Session, kind: Kind, slug: str, patch: dict[str, Any], *, if_match: str | None) -> dict[str, Any]:
    """Apply a JSON Merge Patch; the merged whole must be valid. `slug: null` makes a new
    slug from the name; the old slug keeps redirecting. Returns the resource as shown."""
    row = find(session, kind, slug)
    expected = etags.expected_version(if_match, row.version)
    merged = merge_patch.apply(document(session, kind, row), patch)
    data = writes.validate(kind.create, merged)
    values = kind.to_columns(session, row, data.model_dump(exclude={"slug"}))
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    old_slug = row.slug
    if data.slug != old_slug:
        new_slug = _claim_slug(session, kind, given=data.slug, name=data.name, row_id=row.id)
        if new_slug != old_slug:
            changed["slug"] = new_slug
    if not changed:
        return kind.represent(session, row)
    writes.bump(session, row, expected, changed)
    purge = {f"{kind.resource_type}:{row.slug}"}
    if "slug" in changed:
        slugs.keep_redirecting(session, kind.resource_type, old_slug, row.id)
        purge.add(f"{kind.resource_type}:{old_slug}")
    if changed.keys() & kind.in_articles:
        purge |= {"articles", "feeds"}
    if changed.keys() & kind.in_quotes:
        purge.add("quotes")
    if kind.model is Person and "name" in changed:
        # Article bodies show the speaker's name under each quote.
        hooks.BODIES_STALE(
            session,
            session.scalars(
                select(col(Quote.article_id)).where(col(Quote.person_id) == row.id, col(Quote.article_id).is_not(None))
            ),
        )
    _record(session, kind, row, "updated", purge=purge)
    _record_shown(session, kind, row, set(changed))
    return kind.represent(session, row)


def delete_(session: Session, kind: Kind, slug: str, *, if_match: str | None, reassign_to: str | None = None) -> None:
    """Delete after the resource's own rules (409 while in use, or detach); old slugs go too."""
    row = find(session, kind, slug)
    expected = etags.expected_version(if_match, row.version)
    purge = DELETE_RULES[kind.model](session, row, reassign_to=reassign_to)
    slugs.forget(session, kind.resource_type, row.id)
    # Recorded while the row can still be read, so the webhook's tombstone names its slug.
    _record(session, kind, row, "deleted", purge=purge | {f"{kind.resource_type}:{row.slug}"}, version=expected + 1)
    writes.delete_at_version(session, row, expected, kind.resource_type)


def _showing(model: type[Any], row_id: str) -> AnySelect | CompoundSelect[Any]:
    """The ids of the articles that show this category, person, source, tag or author."""
    if model is Category:
        return union(
            select(col(ArticleCategory.article_id)).where(col(ArticleCategory.category_id) == row_id),
            select(col(Article.id)).where(col(Article.category_id) == row_id),
        )
    if model is Tag:
        return select(col(ArticleTag.article_id)).where(col(ArticleTag.tag_id) == row_id)
    if model is Author:
        return select(col(ArticleAuthor.article_id)).where(col(ArticleAuthor.author_id) == row_id)
    if model is Person:  # under each quote of theirs
        return select(col(Quote.article_id)).where(col(Quote.person_id) == row_id, col(Quote.article_id).is_not(None))
    return union(  # a source: attributions, quotes, photo credits
        select(col(Attribution.article_id)).where(col(Attribution.source_id) == row_id),
        select(col(Quote.article_id)).where(col(Quote.source_id) == row_id, col(Quote.article_id).is_not(None)),
        select(col(Article.id)).where(col(Article.image_credit_source_id) == row_id),
    )


def _updates_showing(model: type[Any], row_id: str) -> AnySelect | None:
    """The ids of the live blog updates that show this author, source or person (None: no
    update shows a resource of this kind)."""
    if model is Author:
        return select(col(ArticleUpdate.id)).where(col(ArticleUpdate.author_id) == row_id)
    if model is Source:
        return select(col(UpdateAttribution.update_id)).where(col(UpdateAttribution.source_id) == row_id)
    if model is Person:  # in a quote block (the links each update's write keeps)
        return (
            select(col(UpdateQuote.update_id))
            .join(Quote, col(Quote.id) == col(UpdateQuote.quote_id))
            .where(col(Quote.person_id) == row_id)
        )
    return None


def _record_shown(session: Session, kind: Kind, row: Any, changed: set[str]) -> None:
    """What shows the resource changed with it, though none of it was written: each public
    article (and quote, and live blog update) that shows a changed field, and a category's subcategories (which name
    their parent by slug) when its slug changed, are upserts in the change feed, so that a
    mirror keeping their public shapes reads them again. Their versions stay; no webhooks
    (subscribers hear of the cause)."""
    if not directory.is_public(row):
        return
    if changed & kind.in_articles:
        shown = select(col(Article.id), col(Article.version)).where(
            col(Article.id).in_(_showing(kind.model, row.id)), Article.is_public
        )
        feed.record_all(session, "article", shown, purge=set())
    if changed & kind.in_quotes:
        speaks = col(Quote.person_id) if kind.model is Person else col(Quote.source_id)
        own_article = select(Article.is_public).where(col(Article.id) == col(Quote.article_id)).scalar_subquery()
        public = col(Quote.article_id).is_(None) | own_article
        feed.record_all(
            session, "quote", select(col(Quote.id), col(Quote.version)).where(speaks == row.id, public), purge=set()
        )
    if changed & kind.in_articles and (updates := _updates_showing(kind.model, row.id)) is not None:
        # A live blog's public updates show their authors, sources and the speakers they quote.
        blog_public = select(Article.is_public).where(col(Article.id) == col(ArticleUpdate.article_id))
        shown_updates = select(col(ArticleUpdate.id), col(ArticleUpdate.version), col(ArticleUpdate.article_id)).where(
            col(ArticleUpdate.id).in_(updates), blog_public.scalar_subquery()
        )
        feed.record_all(session, "update", shown_updates, purge=set())
    if kind.model is Category and "slug" in changed:
        children = select(col(Category.id), col(Category.version)).where(col(Category.parent_id) == row.id)
        feed.record_all(session, "category", children, purge=set())


def _record(session: Session, kind: Kind, row: Any, verb: str, *, purge: set[str], version: int | None = None) -> None:
    if not directory.is_public(row):
        return  # unlisted (refs.py): the public never saw it, so no change, webhook or purge
    feed.record_verb(
        session, kind.resource_type, row.id, version=version or row.version, verb=verb, purge=purge | {kind.plural}
    )
