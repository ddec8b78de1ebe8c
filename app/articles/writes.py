"""Writing articles: create, replace and merge-patch, related things named by slug or created inline."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.articles import documents, queries, revisions, shape, translations, view
from app.articles import quotes as article_quotes
from app.articles.live import feed as live_feed
from app.articles.schemas import ArticleCreate, AttributionIn, ImageIn
from app.changes import feed
from app.http import etags
from app.http.problems import Conflict, NotFound, ValidationFailed
from app.keys import service
from app.kit import merge_patch, slugs, writes
from app.kit.blocks import body_text, reading_stats, render_blocks
from app.kit.text import clean_html, slugify
from app.search import index as search_index
from app.store.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleStatus,
    ArticleTag,
    ArticleUpdate,
    Attribution,
    Author,
    Category,
    Quote,
    Source,
    Tag,
    UpdateAttribution,
)
from app.store.models.common import iso, new_id, to_utc, utcnow
from app.store.models.key import ApiKey, Scope
from app.taxonomy import refs


def article_purge_keys(article: Article) -> set[str]:
    """Surrogate keys of every cached response that may show this article."""
    return {"articles", "feeds", "changes", "quotes"}


LINKS = (ArticleCategory, ArticleTag, ArticleAuthor)


def link_rows(session: Session, article_id: str, data: ArticleCreate | Any) -> tuple[str | None, dict[Any, list[dict]]]:
    """The article's primary category id, and the rows of its categories, tags and authors
    (by link model) that `data` names by slug; 422 naming the field of an unknown slug.
    (The import's bulk path writes the same rows, app/transfer/bulk.py.)"""
    primary = refs.by_slugs(session, Category, [data.category], field="category") if data.category else []
    extra = refs.by_slugs(session, Category, list(data.categories), field="categories")
    tags = refs.by_slugs(session, Tag, list(data.tags), field="tags")
    authors = refs.by_slugs(session, Author, list(data.authors), field="authors")
    categories: list[dict] = []
    seen: set[str] = set()
    for position, category in enumerate([*primary, *extra]):
        if category.id not in seen:
            seen.add(category.id)
            categories.append({"article_id": article_id, "category_id": category.id, "position": position})
    return primary[0].id if primary else None, {
        ArticleCategory: categories,
        ArticleTag: [
            {"article_id": article_id, "tag_id": tag.id, "position": position}
            for position, tag in enumerate({t.id: t for t in tags}.values())
        ],
        ArticleAuthor: [
            {"article_id": article_id, "author_id": author.id, "position": position}
            for position, author in enumerate({a.id: a for a in authors}.values())
        ],
    }


def _set_links(session: Session, article: Article, data: ArticleCreate | Any, *, new: bool = False) -> None:
    """(Re)write the article's categories, tags and authors from slugs; `new`: the article was
    just inserted, so it has none to delete."""
    article.category_id, links = link_rows(session, article.id, data)
    for link in () if new else LINKS:
        session.execute(delete(link).where(col(link.article_id) == article.id))
    for link, items in links.items():
        for item in items:
            session.add(link(**item))


def set_image(session: Session, article: Article, image: ImageIn | None) -> None:
    article.image_url = image.url if image else None
    article.image_alt = image.alt if image else None
    article.image_caption = image.caption if image else None
    article.image_width = image.width if image else None
    article.image_height = image.height if image else None
    credit_source = (
        refs.resolve(session, Source, image.credit_source, field="image.credit_source")
        if image and image.credit_source
        else None
    )
    article.image_credit = (image.credit or (credit_source.name if credit_source else None)) if image else None
    article.image_credit_source_id = credit_source.id if credit_source else None


def attribution_rows(session: Session, article_id: str, items: list[AttributionIn]) -> list[dict[str, Any]]:
    """The rows of the article's attributions, each source found by slug (or made from a name)."""
    return [
        {
            "id": new_id(),
            "article_id": article_id,
            "source_id": refs.resolve(session, Source, item.source, field=f"attributions[{position}].source").id,
            "role": item.role,
            "label": item.label,
            "url": item.url,
            "position": position,
        }
        for position, item in enumerate(items)
    ]


def _set_attributions(session: Session, article: Article, items: list[AttributionIn], *, new: bool = False) -> None:
    if not new:
        session.execute(delete(Attribution).where(col(Attribution.article_id) == article.id))
    for row in attribution_rows(session, article.id, items):
        session.add(Attribution(**row))


def stored_blocks(
    blocks: list[Any],
    quotes: list[article_quotes.Said],
    aliases: dict[str, str] | None = None,
    *,
    field: str = "body",
) -> list[dict[str, Any]]:
    """The blocks as stored: `quote` indexes (and ids of replaced quotes, `aliases`) turned
    into ids of `quotes`, `html` blocks sanitised; 422 naming `field[i]` for a quote block
    that names no quote of the article. (A live blog's updates are stored the same way.)"""
    stored: list[dict[str, Any]] = []
    ids = {q.id for q in quotes}
    for index, block in enumerate(blocks):
        data = block.model_dump(exclude_none=True) if hasattr(block, "model_dump") else dict(block)
        if data["type"] == "html":
            data["html"] = clean_html(data["html"])
        if data["type"] == "quote":
            if aliases and data.get("quote_id") in aliases:
                data["quote_id"] = aliases[data["quote_id"]]
            if "quote" in data:
                position = data.pop("quote")
                if position >= len(quotes):
                    raise ValidationFailed(
                        "A quote block points past the article's quotes.",
                        errors=[{"field": f"{field}[{index}].quote", "message": f"no quote at index {position}"}],
                    )
                data["quote_id"] = quotes[position].id
            if data.get("quote_id") not in ids:
                raise ValidationFailed(
                    "A quote block must name one of the article's quotes.",
                    errors=[{"field": f"{field}[{index}].quote_id", "message": "not a quote of this article"}],
                )
        stored.append(data)
    return stored


def blocks_html(stored: list[dict[str, Any]], quotes: list[article_quotes.Said]) -> str:
    """Stored blocks as HTML, a quote block showing its quote and who said it."""
    by_id = {q.id: {"text": q.text, "speaker_name": q.speaker_name, "speaker_role": q.speaker_role} for q in quotes}
    return render_blocks(stored, by_id)


def set_body(
    article: Article,
    blocks: list[Any],
    quotes: list[article_quotes.Said],
    aliases: dict[str, str] | None = None,
) -> None:
    """Store the blocks (`stored_blocks`), and derive HTML and counts."""
    stored = stored_blocks(blocks, quotes, aliases)
    article.body = stored
    article.body_html = blocks_html(stored, quotes)
    text = " ".join(filter(None, [article.standfirst or "", body_text(stored, {q.id: q.text for q in quotes})]))
    article.word_count, article.reading_time_minutes = reading_stats(text)


LINK_FIELDS = frozenset({"category", "categories", "tags", "authors"})


def set_fields(article: Article, data: ArticleCreate) -> None:
    """The article's own columns that `data` gives as they are (no slug, lifecycle, links,
    image or body: those are worked out)."""
    article.title, article.kicker, article.standfirst = data.title, data.kicker, data.standfirst
    article.language, article.canonical_url = data.language, data.canonical_url
    article.comments_enabled, article.comments_reason = data.comments.enabled, data.comments.reason
    article.share_title = data.share.title if data.share else None
    article.share_description = data.share.description if data.share else None
    article.live = data.live is not None
    article.coverage_started_at = data.live.coverage_started_at if data.live else None
    article.coverage_ended_at = data.live.coverage_ended_at if data.live else None


def _fill(
    session: Session,
    article: Article,
    data: ArticleCreate,
    same: frozenset[str] = frozenset(),
    quote_rows: list[view.Values] | None = None,
    *,
    new: bool = False,
) -> list[article_quotes.Said]:
    """Everything `data` says about the article but its slug, external_id and lifecycle.
    `same` names write-shape fields known to equal what is stored (a merge patch that left
    them alone): their rows are not rewritten, which is what replacing them would leave.
    `quote_rows`: the stored quotes, when the caller read them holding the row.
    `new`: the article was just inserted, so it has no rows of other tables to replace (at
    a million imported articles, their DELETEs were a tenth of the statements).
    Returns the article's quotes as the body shows them."""
    set_fields(article, data)
    if not same >= LINK_FIELDS:
        _set_links(session, article, data, new=new)
    if "image" not in same:
        set_image(session, article, data.image)
    if "attributions" not in same:
        _set_attributions(session, article, data.attributions, new=new)
    aliases: dict[str, str] = {}
    if {"quotes", "language"} <= same:  # a quote's language defaults to the article's
        quotes = article_quotes.stored(session, article, quote_rows)
    else:
        quotes = article_quotes.set_quotes(session, article, data.quotes, new=new)
        aliases = {item.id: q.id for item, q in zip(data.quotes, quotes, strict=True) if item.id and item.id != q.id}
    # Always: body_html shows speakers' names, which may have changed since the last write.
    set_body(article, data.body, quotes, aliases)
    return quotes


def check_publish(key: ApiKey | None) -> None:
    """Making an article public, or taking it down, needs content:publish (None: an internal caller)."""
    if key is not None:
        service.check_scope(key, Scope.content_publish)


def _check_slug_free(session: Session, slug: str, article_id: str | None) -> None:
    """409 naming `slug` when another article holds it, now or as an old slug that still redirects."""
    if slugs.taken_by_another(session, Article, "article", slug, article_id):
        raise Conflict(
            f"The slug {slug!r} is taken by another article.",
            errors=[{"field": "slug", "message": f"{slug!r} is taken by another article"}],
        )


def _check_external_id(session: Session, external_id: str | None, article_id: str | None) -> None:
    owner = (
        session.scalars(select(col(Article.id)).where(col(Article.external_id) == external_id)).first()
        if external_id
        else None
    )
    if owner is not None and owner != article_id:
        raise Conflict(
            f"The external_id {external_id!r} is taken by another article.",
            errors=[{"field": "external_id", "message": f"{external_id!r} is taken"}],
        )


def _set_slug(session: Session, article: Article, wanted: str | None) -> None:
    """A new slug; the old one keeps redirecting. None keeps the current slug."""
    if wanted is None or wanted == article.slug:
        return
    _check_slug_free(session, wanted, article.id)
    # One of the article's own old slugs coming back is current again, no longer a redirect.
    slugs.take_back(session, "article", wanted)
    slugs.keep_redirecting(session, "article", article.slug, article.id)
    article.slug = wanted


def _set_status(article: Article, data: ArticleCreate, key: ApiKey | None) -> None:
    """`status` published makes the article public; draft takes a published one down
    (unpublished); a scheduled or unpublished article stays as it is under draft."""
    published = article.status == ArticleStatus.published
    if data.status == "published" and not published:
        check_publish(key)
        article.status, article.publish_at = ArticleStatus.published, None
        # Published at the write's own time (its updated_at), so that never updated_at < published_at.
        article.published_at = (
            to_utc(data.published_at) if data.published_at else (article.published_at or article.updated_at)
        )
    elif data.status == "draft" and published:
        check_publish(key)
        article.status = ArticleStatus.unpublished
    elif published and data.published_at and iso(data.published_at) != iso(article.published_at):
        article.published_at = to_utc(data.published_at)
    set_times(article, data.expires_at, data.embargoed_until)


def set_times(article: Article, expires_at: datetime | None, embargoed_until: datetime | None) -> None:
    """The article's expiry and embargo: a published article whose expiry has passed is expired
    at once; an embargo already lifted is none."""
    now = utcnow()
    article.expires_at = to_utc(expires_at) if expires_at else None
    article.embargoed_until = to_utc(embargoed_until) if embargoed_until and to_utc(embargoed_until) > now else None
    if article.status == ArticleStatus.published and article.expires_at and article.expires_at <= now:
        article.status = ArticleStatus.expired


def lifecycle_event(article: Article, was_public: bool, was_embargoed: bool, was_expired: bool) -> str | None:
    """The webhook event of a write, from what the public (and embargo readers) saw before and see now."""
    if article.status == ArticleStatus.expired and not was_expired:
        return "article.expired"
    if article.is_embargoed and not was_embargoed:
        return "article.embargoed"
    return change_event(was_public, article.is_public)


def create(
    session: Session,
    data: ArticleCreate,
    *,
    key: ApiKey | None = None,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
) -> Article:
    """A new article, a draft unless `status` says published; everything in one transaction.
    A slug given is kept (409 when taken); one made from the title gets -2, -3… when taken.
    `created_at` and `updated_at` (default: now) are an import's, which keeps an article's history."""
    if data.status == "published":
        check_publish(key)
    if data.slug:
        _check_slug_free(session, data.slug, None)
    slug = data.slug or refs.unique_slug(session, Article, slugify(data.title), resource_type="article")
    _check_external_id(session, data.external_id, None)
    now = utcnow()
    article = Article(
        slug=slug,
        external_id=data.external_id,
        title=data.title,
        created_at=to_utc(created_at) if created_at else now,
        updated_at=to_utc(updated_at) if updated_at else now,
    )
    if data.status == "published":
        article.status = ArticleStatus.published
        article.published_at = to_utc(data.published_at) if data.published_at else now
    set_times(article, data.expires_at, data.embargoed_until)
    session.add(article)
    writes.flush_or_conflict(session, session.flush, {"slug": slug, "external_id": data.external_id})
    quotes = _fill(session, article, data, new=True)
    if data.translation_of is not None:
        translations.join(session, article, data.translation_of)
    revisions.record(session, article, key=key)
    after_write(session, article, was_public=False, event=lifecycle_event(article, False, False, False), quotes=quotes)
    return article


def replace(
    session: Session,
    article: Article,
    data: ArticleCreate,
    *,
    key: ApiKey | None = None,
    if_match: str | None = None,
    key_name: str | None = None,
    due_at: datetime | None = None,
) -> Article:
    """Make `article` what `data` says (content, slug, external_id, draft or published), as one
    new version with its revision; 412 when `if_match` is given and stale. A deleted article
    stays deleted. `key` (None: an internal caller, named by `key_name` in the revision) must
    hold content:publish to change whether the article is public. `due_at`: for a write the
    clock's job applied, the time it was due (the change feed records it)."""
    expected = article.version if if_match is None else etags.expected_version(if_match, article.version)
    return _replace(session, article, data, key=key, expected=expected, key_name=key_name, due_at=due_at)


def update(
    session: Session, article_id: str, patch: dict[str, Any], *, if_match: str | None, key: ApiKey | None
) -> Article:
    """PATCH: `patch` (JSON Merge Patch) applied to the article's write shape, the result
    validated as a create would be and written as a new version; If-Match required."""
    # Its row is held from here (on SQLite, BEGIN IMMEDIATE holds the database already), and
    # what renames wait for (`documents.share_lock`), so what is read now stays true until the
    # commit: the quotes' speakers, the names of its links, which its new document shows.
    article = queries.held(session, article_id)
    if article is None:
        raise NotFound(f"No article with id {article_id!r}.")
    expected = etags.expected_version(if_match, article.version)
    if article.deleted_at is not None:
        raise Conflict("This article is deleted: restore it first (POST …/restore).")
    documents.share_lock(session)
    loaded = view.load_related(session, article)
    current = shape.write_shape(session, article, loaded=loaded)
    # Not part of the write shape: present, it joins a group (null: leaves it); absent, nothing.
    joining = {}
    if isinstance(patch, dict) and "translation_of" in patch:
        joining = {"translation_of": patch["translation_of"]}
        patch = {name: value for name, value in patch.items() if name != "translation_of"}
    merged = merge_patch.apply(current, patch)
    data = validated({**merged, **joining})
    unchanged = {name: value for name, value in current.items() if merged.get(name, None) == value}
    return _replace(session, article, data, key=key, expected=expected, unchanged=unchanged, loaded=loaded, held=True)


# What each related field of the write shape is rewritten from: left alone when all are unchanged.
REWRITTEN_FROM = {
    "category": LINK_FIELDS,
    "categories": LINK_FIELDS,
    "tags": LINK_FIELDS,
    "authors": LINK_FIELDS,
    "image": {"image"},
    "attributions": {"attributions"},
    "quotes": {"quotes", "language"},
}


def _replace(
    session: Session,
    article: Article,
    data: ArticleCreate,
    *,
    key: ApiKey | None,
    expected: int,
    unchanged: dict[str, Any] | None = None,
    loaded: view.Related | None = None,
    held: bool = False,
    key_name: str | None = None,
    due_at: datetime | None = None,
) -> Article:
    """`unchanged`: write-shape fields equal to what is stored, with their values; their
    rows are left alone, and the revision takes them as they are. `loaded`: what the
    article showed of other tables, read holding its row (`update`); the parts this write
    leaves alone are its new document's too. `held`: the row is held since `article` was
    read (`queries.held`), so its version is the one read, `expected`, until the commit."""
    unchanged = unchanged or {}
    same = frozenset(unchanged)
    was_public, was_embargoed = article.is_public, article.is_embargoed
    was_expired = article.status == ArticleStatus.expired
    if held:  # no other writer can get in: the new version goes in the one UPDATE of the row, below
        article.version, article.updated_at = expected + 1, utcnow()
    else:  # UPDATE … WHERE version = expected: a concurrent writer holding the same version gets
        # 412, and this one holds the row until it commits
        writes.bump(session, article, expected, {})
    unique = {
        name: value
        for name, value in (("slug", data.slug), ("external_id", data.external_id))
        if value != getattr(article, name) and (value is not None or name == "external_id")
    }
    _set_slug(session, article, data.slug)
    if "external_id" in unique:
        _check_external_id(session, data.external_id, article.id)
        article.external_id = data.external_id
    _set_status(article, data, key)
    loaded = loaded or view.Related()
    quotes = _fill(session, article, data, same, loaded.quote_rows)
    if "translation_of" in data.model_fields_set:
        translations.join(session, article, data.translation_of)
    elif "language" not in same:
        translations.check_language(session, article)
    if unique:  # another writer may have taken the slug or external_id meanwhile: 409, not 500
        writes.flush_or_conflict(session, session.flush, unique)
    writes.write_changed(session, article)
    known = {name: unchanged[name] for name, needs in REWRITTEN_FROM.items() if needs <= same}
    revisions.record(session, article, key=key, key_name=key_name, known=known)
    documents.still_shown(
        session,
        article.id,
        view.Related(
            refs=loaded.refs if LINK_FIELDS | {"image"} <= same else None,
            attributions=loaded.attributions if "attributions" in same else None,
            quote_rows=loaded.quote_rows if {"quotes", "language"} <= same else None,
        ),
    )
    after_write(
        session,
        article,
        was_public=was_public,
        event=lifecycle_event(article, was_public, was_embargoed, was_expired),
        quotes=quotes,
        same=same,
        due_at=due_at,
    )
    return article


def validated(document: dict[str, Any]) -> ArticleCreate:
    """A merged or restored write shape checked as a create body would be; 422 naming each field."""
    return writes.validate(ArticleCreate, document)


def change_event(was_public: bool, is_public: bool) -> str | None:
    """The webhook event of a change, from whether the public could see the article before and after."""
    if is_public:
        return "article.updated" if was_public else "article.published"
    return "article.unpublished" if was_public else None


# What the other members of a translation group show of an article (app/articles/translations.py).
SHOWN_TO_TRANSLATIONS = frozenset({"slug", "language", "expires_at"})


def after_write(
    session: Session,
    article: Article,
    *,
    was_public: bool,
    event: str | None,
    quotes: list[article_quotes.Said] | None = None,
    same: frozenset[str] = frozenset(),
    due_at: datetime | None = None,
) -> None:
    """What every change to an article ends with, in the same transaction as the change:
    the search index, and, when the public could see it before or can now, the change feed,
    the webhook outbox and the cache purge. `quotes`: the article's, when the caller has them;
    `same`: write-shape fields the write left as they were; `due_at`: for a transition the
    clock applied, the time it was due. A delete says why (`REASONS`, from the event)."""
    session.flush()
    translations.touched(
        session, article, shown_changed=article.is_public != was_public or not SHOWN_TO_TRANSLATIONS.issubset(same)
    )
    search_index.index_article(
        session, article, quotes={q.id: q.text for q in quotes} if quotes is not None else None, same=same
    )
    if article.is_public and (not was_public or refs.named_unlisted(session)):
        _list_what_it_names(session, article)
    if article.is_public or was_public:
        feed.record(
            session,
            resource_type="article",
            resource_id=article.id,
            op="upsert" if article.is_public else "delete",
            version=article.version,
            event=event if (article.is_public or event in REASONS) else None,
            purge=article_purge_keys(article),
            reason=removal_reason(event),
            due_at=due_at,
        )
    elif event == "article.embargoed":
        # Withheld from the public, so nothing in the public change feed: the event alone, for
        # the subscriptions of embargo partners.
        feed.announce(session, resource_type="article", resource_id=article.id, event=event)
    article_quotes.record(
        session,
        article,
        was_public=was_public,
        reason=removal_reason(event),
        due_at=due_at,
        shown_same=same >= article_quotes.SHOWN_IN_QUOTES,
    )
    if article.is_public != was_public:
        live_feed.record_all(session, article, reason=removal_reason(event), due_at=due_at)


# The events of an article leaving the public, and the reason its delete in the change feed
# (and its quotes' deletes) gives.
REASONS = {
    "article.unpublished": "unpublished",
    "article.deleted": "deleted",
    "article.expired": "expired",
    "article.embargoed": "embargoed",
}


def removal_reason(event: str | None) -> str:
    """Why an article left the public, from the event of the write that took it down."""
    return REASONS.get(event or "", "unpublished")


def _list_what_it_names(session: Session, article: Article) -> None:
    """The article is public: so are the speakers and sources it names (made inline by a
    draft, they were unlisted), recorded before the article so a mirror has them first."""
    said = session.execute(
        select(col(Quote.person_id), col(Quote.source_id)).where(col(Quote.article_id) == article.id)
    ).all()
    attributed = session.scalars(select(col(Attribution.source_id)).where(col(Attribution.article_id) == article.id))
    # A live blog's updates name sources of their own (app/articles/live/writes.py).
    in_updates = session.scalars(
        select(col(UpdateAttribution.source_id))
        .join(ArticleUpdate, col(ArticleUpdate.id) == col(UpdateAttribution.update_id))
        .where(col(ArticleUpdate.article_id) == article.id)
    )
    refs.made_public(
        session,
        people=[person for person, _ in said],
        sources=[article.image_credit_source_id, *(source for _, source in said), *attributed, *in_updates],
    )
