"""Quotes: what a named person said, in which role; public when their article is."""

from functools import lru_cache
from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, bindparam, func, select
from sqlmodel import Session, col

from app.http.pagination import Keyset, Page, PreparedPages
from app.http.params import LangParam, ListParams
from app.http.problems import NotFound
from app.store.engine import rows as run
from app.store.models import Article, Person, Quote, Source
from app.store.models.common import iso, table_of
from app.store.sql import Prepared


class QuoteListParams(ListParams, LangParam):
    """Query parameters of GET /v1/quotes."""

    speaker: str | None = Field(None, max_length=200, description="Person slug.")
    article: str | None = Field(None, max_length=26, description="Article id.")
    source: str | None = Field(None, max_length=200, description="Source slug.")
    q: str | None = Field(None, max_length=500, description="Full-text query.")


_NEWEST_FIRST = Keyset(Quote.id, "-id", descending=True)  # ids are time-ordered (ULID-like)


def public() -> ColumnElement[bool]:
    """A quote is public when it stands alone or its article is published and not deleted.

    Asked of each quote's own article by its primary key, so a page walks the quotes' index
    in its order and stops at the page: `article_id IN (the public articles)` read every
    public article first (337 ms for the first quote at 100,000 articles on SQLite,
    bench/README.md). A scalar subquery rather than EXISTS: PostgreSQL turns an EXISTS under
    OR into a hashed subplan, which reads every public article again."""
    own_article = (
        select(Article.is_public).where(col(Article.id) == col(Quote.article_id)).correlate(Quote).scalar_subquery()
    )
    return col(Quote.article_id).is_(None) | own_article


# What a quote shows of its speaker, source and article (never the article's body).
_SHOWN: dict[str, tuple[Any, ...]] = {
    "person": (col(Person.id), col(Person.slug), col(Person.name), col(Person.current_role), col(Person.organization)),
    "source": (col(Source.id), col(Source.slug), col(Source.name)),
    "article": (col(Article.id), col(Article.slug), col(Article.title), col(Article.expires_at)),
}


@lru_cache(maxsize=256)
def _shown(kind: str, n: int) -> Prepared:
    """What quotes show of `n` people, sources or articles, by id: prepared once per `n` (an
    expanding IN costs SQLAlchemy's compilation on every run), plain rows, no ORM objects."""
    columns = _SHOWN[kind]
    return Prepared(select(*columns).where(columns[0].in_([bindparam(f"id{k}") for k in range(n)])))


def _by_id(session: Session, kind: str, ids: set[str | None]) -> dict[str | None, Any]:
    wanted = sorted(i for i in ids if i)
    if not wanted:
        return {}
    return {row.id: row for row in run(session, _shown(kind, len(wanted)), {f"id{k}": v for k, v in enumerate(wanted)})}


def represent_many(session: Session, quotes: list[Any]) -> list[dict[str, Any]]:
    """Quotes as the API shows them (`quotes`: objects, or plain rows of the quote's columns)."""
    people = _by_id(session, "person", {q.person_id for q in quotes})
    sources = _by_id(session, "source", {q.source_id for q in quotes})
    articles = _by_id(session, "article", {q.article_id for q in quotes})
    out = []
    for q in quotes:
        person, source, article = people[q.person_id], sources.get(q.source_id), articles.get(q.article_id)
        out.append(
            {
                "id": q.id,
                "text": q.text,
                "speaker": {
                    "slug": person.slug,
                    "name": person.name,
                    "current_role": person.current_role,
                    "organization": person.organization,
                },
                "speaker_role": q.speaker_role,
                "language": q.language,
                "said_at": q.said_at.isoformat() if q.said_at else None,
                "source": {"slug": source.slug, "name": source.name} if source else None,
                "article": {
                    "id": article.id,
                    "slug": article.slug,
                    "title": article.title,
                    "expires_at": iso(article.expires_at),
                }
                if article
                else None,
                "created_at": iso(q.created_at),
                "updated_at": iso(q.updated_at),
                "version": q.version,
            }
        )
    return out


# The filters a page's prepared statement takes as parameters (all but q), in this order.
FILTERS = ("speaker", "article", "source", "lang")


def _conditions(params: QuoteListParams, given: dict[str, Any] | None = None) -> list[ColumnElement[bool]]:
    """The page's conditions: with `given`, its filters as parameters (named as the fields, the
    values put in `given`) for a statement prepared once; without, with their values."""

    def value(name: str) -> Any:
        if given is None:
            return getattr(params, name)
        given[name] = getattr(params, name)
        return bindparam(name, type_=table_of(Quote).c.id.type)

    conds: list[ColumnElement[bool]] = [public()]
    if params.speaker:
        conds.append(
            col(Quote.person_id) == select(col(Person.id)).where(col(Person.slug) == value("speaker")).scalar_subquery()
        )
    if params.article:
        conds.append(col(Quote.article_id) == value("article"))
    if params.source:
        conds.append(
            col(Quote.source_id) == select(col(Source.id)).where(col(Source.slug) == value("source")).scalar_subquery()
        )
    if params.lang:
        conds.append(col(Quote.language) == value("lang"))
    return conds


def bounded(params: QuoteListParams) -> bool:
    """A page read from one index in its order and stopped at the page (the quotes' own key, a
    speaker's, a source's, an article's), nothing searched or counted: on SQLite, read on
    the event loop (app/cache/lists.py). A language has no index: a rare one walks far."""
    return params.q is None and not params.count and params.lang is None


def list_public(session: Session, params: QuoteListParams) -> Page:
    given: dict[str, Any] = {}
    if params.q is None:
        # The list with any of its other filters: its statement prepared once per set of
        # filters (app/store/sql.py), plain rows rather than ORM objects; the conditions are
        # built (for the count) only when asked for.
        given = {name: value for name in FILTERS if (value := getattr(params, name))}
        rows, next_cursor = _NEWEST_FIRST.run(
            session, _pages(tuple(given)), cursor=params.cursor, limit=params.limit, bound=given
        )
        conds = _conditions(params, {}) if params.count else []
    else:
        from app.search import query

        conds = [*_conditions(params), query.quote_condition(session, params.q)]
        rows, next_cursor = _NEWEST_FIRST.page(
            session, select(*table_of(Quote).c).where(*conds), cursor=params.cursor, limit=params.limit
        )
    total = session.scalar(select(func.count()).select_from(Quote).where(*conds), given) if params.count else None
    return Page(
        items=represent_many(session, rows),
        limit=params.limit,
        next_cursor=next_cursor,
        total=total,
    )


@lru_cache(maxsize=len(FILTERS) ** 2)
def _pages(filters: tuple[str, ...]) -> PreparedPages:
    """Pages of the public quotes with these filters, newest first: plain rows, prepared once."""
    present: dict[str, Any] = dict.fromkeys(filters, "given")
    params = QuoteListParams.model_construct(**present)
    return _NEWEST_FIRST.prepare(select(*table_of(Quote).c).where(*_conditions(params, {})))


def get_public(session: Session, quote_id: str) -> dict[str, Any]:
    quote = session.scalars(select(Quote).where(col(Quote.id) == quote_id, public())).first()
    if quote is None:
        raise NotFound(f"No quote with id {quote_id!r}.")
    return represent_many(session, [quote])[0]
