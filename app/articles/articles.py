"""Articles: the public lists and lookups, and creation. Queries and rules live here."""

from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, bindparam, exists, func, select
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, manager_of_class
from sqlmodel import Session

from app.articles import article_view, documents
from app.content import categories
from app.errors import InvalidParameter, NotFound
from app.query import (
    LangParam,
    ListParams,
    Page,
    after_cursor,
    decode_cursor,
    encode_cursor,
    parse_time,
    split_csv,
)
from app.store.engine import is_postgres, rows
from app.store.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleStatus,
    ArticleTag,
    Attribution,
    Author,
    Person,
    Quote,
    SlugRedirect,
    Source,
    Tag,
)
from app.store.sql import Prepared

ArticleStatusFilter = Literal["draft", "scheduled", "published", "unpublished", "deleted", "all"]
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
    status: ArticleStatusFilter | None = Field(
        None, description="With a content:read key: draft, scheduled, published, unpublished, deleted, "
        "or all (every status but deleted). Without one, only published articles are listed.")


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


def _visible(status: str | None, *, private: bool) -> ColumnElement[bool]:
    """Which articles a list may show: published ones, or with a key, those of `status`."""
    if status is not None and not private:
        raise InvalidParameter("status", "listing by status needs an API key with content:read")
    if status in (None, "published"):
        return public()
    if status == "deleted":
        return Article.deleted_at.is_not(None)
    if status == "all":
        return Article.deleted_at.is_(None)
    return (Article.status == status) & Article.deleted_at.is_(None)


def list_public(session: Session, params: ArticleListParams, *, private: bool = False) -> tuple[list[dict[str, Any]], Page]:
    """A page of published articles (with `private`, a key's caller: of `status`) as asked for."""
    visible = _visible(params.status, private=private)
    unpublished = params.status not in (None, "published")
    fields = split_csv(params.fields, field="fields", allowed=article_view.FIELDS)
    include = _include(params, fields)
    sort = params.sort or ("relevance" if params.q is not None else "-updated_at" if unpublished else "-published_at")
    if unpublished and (params.q is not None or sort.endswith("published_at")):
        # Search covers published articles only; drafts have no published_at to page by.
        raise InvalidParameter("status", "with this status, sort by updated_at and leave out q")
    if params.q is not None or sort == "relevance":
        from app.search import search  # the search issue provides ranking

        if sort == "relevance" and params.q is None:
            raise InvalidParameter("sort", "relevance needs a q")
        return search.search_articles(session, params, sort=sort, fields=fields, include=include)

    conds = [visible, *filters(session, params)]
    column = Article.published_at if sort.endswith("published_at") else Article.updated_at
    descending = sort.startswith("-")
    stmt = select(*columns(with_body="body" in include)).where(*conds)
    if params.cursor:
        value, row_id = decode_cursor(params.cursor, sort, is_time=True)
        stmt = stmt.where(after_cursor(column, Article.id, value, row_id, descending=descending))
    order = (column.desc(), Article.id.desc()) if descending else (column.asc(), Article.id.asc())
    rows = session.execute(stmt.order_by(*order).limit(params.limit + 1)).all()
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


@lru_cache(maxsize=2)
def columns(*, with_body: bool) -> tuple:
    """The article's columns, as plain rows read them (no ORM objects: reads only show them);
    the body's two, the heaviest, only when shown."""
    return tuple(c for c in Article.__table__.c if with_body or c.key not in ("body", "body_html"))


@lru_cache(maxsize=1)
def by_id() -> Prepared:
    """One article's row by id: built once and prepared (app/store/sql.py), run for every uncached
    article read and every write's new document on PostgreSQL."""
    return Prepared(select(*columns(with_body=True)).where(Article.id == bindparam("id", type_=Article.id.type)))


@lru_cache(maxsize=1)
def _held_by_id() -> Prepared:
    """`by_id`, holding the row until the transaction ends (PostgreSQL)."""
    return Prepared(by_id().statement.with_for_update())


def held(session: Session, article_id: str) -> Article | None:
    """The article to be written, as an object of `session`, its row held until the commit on
    PostgreSQL (on SQLite, BEGIN IMMEDIATE holds the whole database already).

    Read with the prepared statement and made as the ORM's own load makes objects (its
    values put in place, no `__init__`: SQLModel's costs 0.2 ms, ten times the rest), then
    attached as loaded: `session.get` costs a one-field PATCH a sixth of its time, and the
    object behaves the same (its changes are flushed as an UPDATE of the columns that changed)."""
    if session.identity_key(Article, article_id) in session.identity_map:
        return session.get(Article, article_id, with_for_update=is_postgres(session))
    found = rows(session, _held_by_id() if is_postgres(session) else by_id(), {"id": article_id}).first()
    if found is None:
        return None
    configure_mappers()  # at once when done: a process's first ORM use sets up the attributes
    article = manager_of_class(Article).new_instance()
    instance_dict(article).update(found._asdict())
    make_transient_to_detached(article)  # its attributes are now as loaded, none changed
    session.add(article)
    return article


def is_public(article: Any) -> bool:
    return article.status == ArticleStatus.published and article.deleted_at is None


def get(session: Session, article_id: str, *, private: bool = False) -> Any:
    """An article by id, as a row with the Article's attributes; drafts and the like only when
    `private` (a key or a preview token)."""
    article = rows(session, by_id(), {"id": article_id}).first()
    if article is None or not (private or is_public(article)):
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


def represent_written(session: Session, article: Article) -> dict[str, Any]:
    """What a write answers with, just before it commits: a public article as reads will
    answer it, from the stored document built now (app/articles/documents.py); any other
    as `represent` shows it."""
    return documents.written(session, article) or represent(session, article)
