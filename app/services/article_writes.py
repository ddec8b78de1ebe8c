"""Writing articles: create, with related things named by slug or created inline."""

from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session

from app.errors import ValidationFailed
from app.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleStatus,
    ArticleTag,
    Attribution,
    Author,
    Category,
    Person,
    Quote,
    Source,
    Tag,
)
from app.models.common import new_id, to_utc, utcnow
from app.models.schemas import ArticleCreate, AttributionIn, ImageIn, QuoteIn
from app.services import changes, refs
from app.text import body_text, reading_stats, render_blocks, slugify


def article_purge_keys(article: Article) -> set[str]:
    """Surrogate keys of every cached response that may show this article."""
    return {"articles", "feeds", "changes", "quotes"}


def _set_links(session: Session, article: Article, data: ArticleCreate | Any) -> None:
    """(Re)write the article's categories, tags and authors from slugs."""
    primary = refs.by_slugs(session, Category, [data.category], field="category") if data.category else []
    extra = refs.by_slugs(session, Category, list(data.categories), field="categories")
    tags = refs.by_slugs(session, Tag, list(data.tags), field="tags")
    authors = refs.by_slugs(session, Author, list(data.authors), field="authors")
    article.category_id = primary[0].id if primary else None
    for link in (ArticleCategory, ArticleTag, ArticleAuthor):
        session.execute(delete(link).where(link.article_id == article.id))
    seen: set[str] = set()
    for position, category in enumerate([*primary, *extra]):
        if category.id not in seen:
            seen.add(category.id)
            session.add(ArticleCategory(article_id=article.id, category_id=category.id, position=position))
    for position, tag in enumerate({t.id: t for t in tags}.values()):
        session.add(ArticleTag(article_id=article.id, tag_id=tag.id, position=position))
    for position, author in enumerate({a.id: a for a in authors}.values()):
        session.add(ArticleAuthor(article_id=article.id, author_id=author.id, position=position))


def _set_image(session: Session, article: Article, image: ImageIn | None) -> None:
    article.image_url = image.url if image else None
    article.image_alt = image.alt if image else None
    article.image_caption = image.caption if image else None
    credit_source = (
        refs.resolve(session, Source, image.credit_source, field="image.credit_source")
        if image and image.credit_source else None
    )
    article.image_credit = (image.credit or (credit_source.name if credit_source else None)) if image else None
    article.image_credit_source_id = credit_source.id if credit_source else None


def _set_attributions(session: Session, article: Article, items: list[AttributionIn]) -> None:
    session.execute(delete(Attribution).where(Attribution.article_id == article.id))
    for position, item in enumerate(items):
        source = refs.resolve(session, Source, item.source, field=f"attributions[{position}].source")
        session.add(Attribution(
            id=new_id(), article_id=article.id, source_id=source.id, role=item.role,
            label=item.label, url=item.url, position=position,
        ))


def _set_quotes(session: Session, article: Article, items: list[QuoteIn]) -> list[Quote]:
    """Replace the article's quotes; returns them in request order."""
    existing = {q.external_id: q for q in session.scalars(select(Quote).where(Quote.article_id == article.id)) if q.external_id}
    keep: list[Quote] = []
    for position, item in enumerate(items):
        speaker = refs.resolve(session, Person, item.speaker, field=f"quotes[{position}].speaker")
        source = (
            refs.resolve(session, Source, item.source, field=f"quotes[{position}].source")
            if item.source else None
        )
        quote = existing.pop(item.external_id, None) if item.external_id else None
        if quote is None:
            quote = Quote(article_id=article.id, external_id=item.external_id, text=item.text, person_id=speaker.id)
        else:
            quote.version += 1
            quote.updated_at = utcnow()
        quote.text, quote.person_id, quote.speaker_role = item.text, speaker.id, item.speaker_role
        quote.source_id = source.id if source else None
        quote.language = item.language or article.language
        quote.said_at, quote.position = item.said_at, position
        session.add(quote)
        keep.append(quote)
    session.flush()
    keep_ids = {q.id for q in keep}
    from app.services import search  # the quote index changes in this same transaction

    gone = select(Quote.id).where(Quote.article_id == article.id, Quote.id.not_in(keep_ids))
    search.unindex_quotes(session, session.scalars(gone).all())
    session.execute(delete(Quote).where(Quote.article_id == article.id, Quote.id.not_in(keep_ids)))
    search.index_quotes(session, keep)
    return keep


def _set_body(session: Session, article: Article, blocks: list[Any], quotes: list[Quote]) -> None:
    """Store the blocks, turning `quote` indexes into quote ids, and derive HTML and counts."""
    stored: list[dict[str, Any]] = []
    ids = {q.id for q in quotes}
    for index, block in enumerate(blocks):
        data = block.model_dump(exclude_none=True) if hasattr(block, "model_dump") else dict(block)
        if data["type"] == "quote":
            if "quote" in data:
                position = data.pop("quote")
                if position >= len(quotes):
                    raise ValidationFailed(
                        "A quote block points past the article's quotes.",
                        errors=[{"field": f"body[{index}].quote", "message": f"no quote at index {position}"}],
                    )
                data["quote_id"] = quotes[position].id
            if data.get("quote_id") not in ids:
                raise ValidationFailed(
                    "A quote block must name one of the article's quotes.",
                    errors=[{"field": f"body[{index}].quote_id", "message": "not a quote of this article"}],
                )
        stored.append(data)
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_({q.person_id for q in quotes})))} if quotes else {}
    by_id = {
        q.id: {"text": q.text, "speaker_name": people[q.person_id].name, "speaker_role": q.speaker_role}
        for q in quotes
    }
    article.body = stored
    article.body_html = render_blocks(stored, by_id)
    text = " ".join(filter(None, [article.standfirst or "", body_text(stored, {k: v["text"] for k, v in by_id.items()})]))
    article.word_count, article.reading_time_minutes = reading_stats(text)


def create(session: Session, data: ArticleCreate) -> Article:
    """A new article, a draft unless `status` says published; everything in one transaction."""
    slug = refs.unique_slug(session, Article, data.slug or slugify(data.title), resource_type="article")
    article = Article(
        slug=slug, external_id=data.external_id, canonical_url=data.canonical_url,
        title=data.title, kicker=data.kicker, standfirst=data.standfirst, language=data.language,
        comments_enabled=data.comments.enabled, comments_reason=data.comments.reason,
        share_title=data.share.title if data.share else None,
        share_description=data.share.description if data.share else None,
    )
    if data.status == "published":
        article.status = ArticleStatus.published
        article.published_at = to_utc(data.published_at) if data.published_at else utcnow()
    session.add(article)
    session.flush()
    _set_links(session, article, data)
    _set_image(session, article, data.image)
    _set_attributions(session, article, data.attributions)
    quotes = _set_quotes(session, article, data.quotes)
    _set_body(session, article, data.body, quotes)
    after_write(session, article, was_public=False, event="article.published")
    return article


def after_write(session: Session, article: Article, *, was_public: bool, event: str | None) -> None:
    """What every change to an article ends with, in the same transaction as the change:
    the search index, and, when the public could see it before or can now, the change feed,
    the webhook outbox and the cache purge."""
    from app.services import search  # search depends on the models, not the other way

    session.flush()
    search.index_article(session, article)
    if article.is_public or was_public:
        changes.record(
            session, resource_type="article", resource_id=article.id,
            op="upsert" if article.is_public else "delete", version=article.version,
            event=event if (article.is_public or event in DELETE_EVENTS) else None,
            purge=article_purge_keys(article),
        )


DELETE_EVENTS = frozenset({"article.unpublished", "article.deleted"})
