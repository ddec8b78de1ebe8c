"""Articles: the public lists and lookups, and creation. Queries and rules live here."""

from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, exists, func, select
from sqlmodel import Session

from app.errors import InvalidParameter, NotFound
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
    SlugRedirect,
    Source,
    Tag,
)
from app.query import LangParam, ListParams, Page, after_cursor, decode_cursor, encode_cursor, parse_time, split_csv
from app.services import article_view, categories

ArticleSort = Literal["-published_at", "published_at", "-updated_at", "updated_at", "relevance"]


class ArticleListParams(ListParams, LangParam):
    """Query parameters of GET /v1/articles."""

    category: str | None = Field(None, max_length=200, description="Category slug; its subcategories too.")
    tag: str | None = Field(None, max_length=200, description="Tag slug.")
    author: str | None = Field(None, max_length=200, description="Author slug.")
    source: str | None = Field(None, max_length=200, description="Source slug (attribution or photo credit).")
    speaker: str | None = Field(None, max_length=200, description="Slug of a person quoted.")
    q: str | None = Field(None, max_length=500, description="Full-text query.")
    published_after: datetime | None = None
    published_before: datetime | None = None
    updated_since: datetime | None = None
    sort: ArticleSort | None = Field(None, description="Default -published_at; relevance with q.")
    fields: str | None = Field(None, max_length=1000, description="Comma-separated fields to return.")
    include: str | None = Field(None, max_length=200, description="quotes,attributions,body")
    highlight: bool = Field(False, description="With q: add a snippet with the matched words marked.")


def public() -> ColumnElement[bool]:
    return (Article.status == ArticleStatus.published) & Article.deleted_at.is_(None)


def filters(session: Session, params: ArticleListParams) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if params.category:
        ids = categories.descendant_ids(session, params.category)
        if not ids:
            raise InvalidParameter("category", f"no category with slug {params.category!r}")
        conds.append(exists().where(ArticleCategory.article_id == Article.id,
                                    ArticleCategory.category_id.in_(ids)))
    if params.tag:
        conds.append(exists().where(ArticleTag.article_id == Article.id, ArticleTag.tag_id == Tag.id,
                                    Tag.slug == params.tag))
    if params.author:
        conds.append(exists().where(ArticleAuthor.article_id == Article.id,
                                    ArticleAuthor.author_id == Author.id, Author.slug == params.author))
    if params.source:
        source_id = select(Source.id).where(Source.slug == params.source).scalar_subquery()
        conds.append(
            exists().where(Attribution.article_id == Article.id, Attribution.source_id == source_id)
            | (Article.image_credit_source_id == source_id)
        )
    if params.speaker:
        conds.append(exists().where(Quote.article_id == Article.id, Quote.person_id == Person.id,
                                    Person.slug == params.speaker))
    if params.lang:
        conds.append(Article.language == params.lang)
    if params.published_after:
        conds.append(Article.published_at >= parse_time(params.published_after))
    if params.published_before:
        conds.append(Article.published_at < parse_time(params.published_before))
    if params.updated_since:
        conds.append(Article.updated_at >= parse_time(params.updated_since))
    return conds


def _include(params: ArticleListParams, fields: list[str] | None) -> set[str]:
    include = set(split_csv(params.include, field="include", allowed=article_view.INCLUDABLE) or [])
    return include | (set(fields or []) & article_view.INCLUDABLE)


def list_public(session: Session, params: ArticleListParams) -> tuple[list[dict[str, Any]], Page]:
    """A page of published articles with the representation asked for."""
    fields = split_csv(params.fields, field="fields", allowed=article_view.FIELDS)
    include = _include(params, fields)
    sort = params.sort or ("relevance" if params.q is not None else "-published_at")
    if params.q is not None or sort == "relevance":
        from app.services import search  # the search issue provides ranking

        if sort == "relevance" and params.q is None:
            raise InvalidParameter("sort", "relevance needs a q")
        return search.search_articles(session, params, sort=sort, fields=fields, include=include)

    conds = [public(), *filters(session, params)]
    column = Article.published_at if sort.endswith("published_at") else Article.updated_at
    descending = sort.startswith("-")
    stmt = select(Article).where(*conds)
    if params.cursor:
        value, row_id = decode_cursor(params.cursor, sort, is_time=True)
        stmt = stmt.where(after_cursor(column, Article.id, value, row_id, descending=descending))
    order = (column.desc(), Article.id.desc()) if descending else (column.asc(), Article.id.asc())
    rows = list(session.scalars(stmt.order_by(*order).limit(params.limit + 1)))
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor(sort, getattr(last, column.key), last.id)
    total = None
    if params.count:
        total = session.scalar(select(func.count()).select_from(Article).where(*conds))
    items = article_view.build(session, rows, include=include, fields=fields)
    return items, Page(items=items, limit=params.limit, next_cursor=next_cursor, total=total)


def get(session: Session, article_id: str, *, private: bool = False) -> Article:
    """An article by id; drafts and the like only when `private` (a key or a preview token)."""
    article = session.get(Article, article_id)
    if article is None or not (private or article.is_public):
        raise NotFound(f"No article with id {article_id!r}.")
    return article


def get_by_slug(session: Session, slug: str, *, private: bool = False) -> Article | str:
    """The article with this slug, or the current slug when `slug` is an old one (a 301)."""
    article = session.scalars(select(Article).where(Article.slug == slug)).first()
    if article is not None and (private or article.is_public):
        return article
    if article is None:
        target = session.scalars(
            select(Article)
            .join(SlugRedirect, SlugRedirect.resource_id == Article.id)
            .where(SlugRedirect.resource_type == "article", SlugRedirect.slug == slug)
        ).first()
        if target is not None and (private or target.is_public):
            return target.slug
    raise NotFound(f"No article with slug {slug!r}.")


def represent(session: Session, article: Article, *, fields: str | None = None) -> dict[str, Any]:
    wanted = split_csv(fields, field="fields", allowed=article_view.FIELDS)
    return article_view.build(session, [article], fields=wanted)[0]
