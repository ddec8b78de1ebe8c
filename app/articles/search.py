"""Articles found by full-text search: a page by relevance or by time, with highlights.

Every article write reaches `app.search.index.index_article` (app.articles.writes.after_write),
so the index changes in the same transaction as the content; this pages over its rows.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.articles import queries, view
from app.http.pagination import Page, after_cursor, decode_cursor, encode_cursor
from app.http.problems import InvalidParameter
from app.http.schemas import bounded_time
from app.kit.blocks import body_text
from app.search import kinds, query
from app.search.analysis import analyser_for
from app.search.highlight import snippet
from app.search.index import engine_for
from app.search.kinds import ARTICLE
from app.search.parse import Plan
from app.store.models import Article, Quote
from app.store.models.common import to_utc
from app.store.sql import AnySelect


def _relevance_cursor(token: str) -> tuple[int, datetime, str]:
    (value, row_id) = decode_cursor(token, "relevance", is_time=False)
    try:
        rank, published = value
        if not isinstance(rank, int):
            raise ValueError
        return rank, bounded_time(datetime.fromisoformat(published)), row_id
    except (TypeError, ValueError):
        raise InvalidParameter("cursor", "not a cursor this API issued") from None


def _highlights(session: Session, rows: list[Article], plans: list[Plan]) -> list[str]:
    quotes: dict[str, dict[str, str]] = {a.id: {} for a in rows}
    for article_id, quote_id, text in session.execute(
        sa.select(col(Quote.article_id), col(Quote.id), col(Quote.text)).where(col(Quote.article_id).in_(list(quotes)))
    ):
        quotes[article_id][quote_id] = text
    by_analyser = {p.analyser: p for p in plans}
    out = []
    for a in rows:
        analyser = analyser_for(a.language)
        wanted = (by_analyser.get(analyser) or plans[0]).positive_terms()
        text = "\n\n".join(filter(None, [a.standfirst, body_text(a.body or [], quotes[a.id])]))
        out.append(snippet(a.title, text, analyser, wanted))
    return out


def _order(c: sa.ColumnCollection[str, sa.ColumnElement[Any]], sort: str) -> list[sa.ColumnElement[Any]]:
    """The columns (of a hits subquery or select) a sort orders by, id last."""
    if sort == "relevance":
        return [c.rank, c.published_at, c.key]
    return [c.published_at if sort.endswith("published_at") else c.updated_at, c.key]


def _after(token: str, sort: str, columns: list[sa.ColumnElement[Any]], descending: bool) -> sa.ColumnElement[bool]:
    """The keyset condition: strictly after the row the cursor names."""
    if sort == "relevance":
        rank, published, row_id = _relevance_cursor(token)
        first = columns[0] < rank
        return sa.or_(
            first, sa.and_(columns[0] == rank, after_cursor(columns[1], columns[2], published, row_id, descending=True))
        )
    value, row_id = decode_cursor(token, sort, is_time=True)
    if not isinstance(value, datetime):
        raise InvalidParameter("cursor", "not a cursor this API issued")
    return after_cursor(columns[0], columns[1], to_utc(value), row_id, descending=descending)


def search_articles(
    session: Session,
    params: queries.ArticleListParams,
    *,
    sort: str,
    fields: list[str] | None,
    include: set[str],
) -> tuple[list[dict[str, Any]], Page]:
    """A page of published articles matching `params.q`, by relevance or by a time sort.

    The page is picked from the index rows alone (they hold the rank and the times), joined
    to the articles only when a filter needs them; then the page's articles are loaded.
    Relevance ranks the RANKED_LIMIT most recent matches of each language (filters applied).
    """
    plans = query.plans_for(params.q or "", params.lang)
    engine = engine_for(session)
    # The language is on the index row: filtering on it there spares reading each article.
    filters = queries.filters(session, params.model_copy(update={"lang": None}))

    def matching(ranked: bool, limit: int | None, by_date: int | None = None) -> list[AnySelect]:
        return engine.branches(
            session, ARTICLE, plans, ranked=ranked, limit=limit, filters=filters, language=params.lang, by_date=by_date
        )

    ranked = sort == "relevance"
    descending = ranked or sort.startswith("-")
    direction = sa.desc if descending else sa.asc

    def after_cursor_in(hits: sa.Subquery) -> AnySelect:
        picked = sa.select(hits)
        if params.cursor:
            picked = picked.where(_after(params.cursor, sort, _order(hits.c, sort), descending))
        return picked

    if ranked:
        hits = query.union(matching(True, kinds.RANKED_LIMIT)).subquery("hits")
    else:
        # A time sort pages each language on its own first (PostgreSQL walks its (analyser,
        # published_at) index backwards and stops), then merges them.
        pages: list[AnySelect] = []
        by_date = params.limit + 1 if sort.endswith("published_at") else None
        for branch in matching(False, None, by_date):
            one = after_cursor_in(branch.subquery())
            first = one.order_by(*map(direction, _order(one.selected_columns, sort))).limit(params.limit + 1)
            pages.append(sa.select(first.subquery()))
        hits = query.union(pages).subquery("hits")
    columns = _order(hits.c, sort)
    picked = after_cursor_in(hits)
    page = picked.order_by(*map(direction, columns)).limit(params.limit + 1).subquery("page")
    page_columns = _order(page.c, sort)
    found = session.execute(
        sa.select(Article, page.c.rank, page.c.published_at, page.c.updated_at)
        .join(page, page.c.key == Article.id)
        # Index rows are only for public articles; this keeps drafts out even if one lags.
        .where(queries.public())
        .order_by(*map(direction, page_columns))
    ).all()
    has_more = len(found) > params.limit
    found = found[: params.limit]
    rows = [article for article, *_ in found]
    next_cursor = None
    if has_more:  # from the index row's values: the ones the next page compares with
        last, rank, published, updated = found[-1]
        next_cursor = (
            encode_cursor(sort, [rank, published.isoformat()], last.id)
            if sort == "relevance"
            else encode_cursor(sort, published if sort.endswith("published_at") else updated, last.id)
        )
    total = None
    if params.count:  # every match counts, ranked or not
        total = session.scalar(sa.select(sa.func.count()).select_from(query.union(matching(False, None)).subquery()))
    items = view.build(session, rows, include=include, fields=fields)
    if params.highlight:
        for item, text in zip(items, _highlights(session, rows, plans), strict=True):
            item["highlight"] = text
    return items, Page(items=items, limit=params.limit, next_cursor=next_cursor, total=total)
