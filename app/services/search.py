"""Full-text search of articles and quotes: FTS5 on SQLite, tsvector and GIN on PostgreSQL.

Every article write reaches `index_article` through article_writes.after_write, and every
quote write reaches `index_quotes`, so the index changes in the same transaction as the
content. Each document is analysed in its own language (French, English, or accents folded
only for the others); a query is analysed once per language and matched against the
documents of that language.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.db import is_postgres
from app.errors import InvalidParameter
from app.models import Article, Quote
from app.query import Page, after_cursor, decode_cursor, encode_cursor
from app.services import article_view, articles, search_postgres, search_sqlite
from app.services.search_analysis import ANALYSERS, analyser_for
from app.services.search_highlight import snippet
from app.services.search_parse import Plan, check_meaningful, parse, plan
from app.services.search_sqlite import ARTICLE, QUOTE
from app.text import body_text

# Tables of the index on either engine; tests empty them along with the models' tables.
INDEX_TABLES = tuple(dict.fromkeys((*search_sqlite.TABLES, *search_postgres.TABLES)))
# Longer bodies are indexed up to here: far past any article, and within tsvector's 1 MB.
MAX_INDEXED_CHARS = 200_000


def _engine(session: Session) -> ModuleType:
    return search_postgres if is_postgres(session) else search_sqlite


# ---------------------------------------------------------------------------- writing


def _article_doc(row: Any, quotes: dict[str, str]) -> tuple[str, str, tuple[str, ...]]:
    standfirst = "\n".join(filter(None, [row.kicker, row.standfirst]))
    body = body_text(row.body or [], quotes)[:MAX_INDEXED_CHARS]
    return row.id, analyser_for(row.language), (row.title, standfirst, body)


def index_article(session: Session, article: Article) -> None:
    """Bring the search index up to date with `article`, in the caller's transaction."""
    engine = _engine(session)
    if article.deleted_at is not None:
        engine.remove(session, ARTICLE, [article.id])
        return
    quotes = dict(session.execute(sa.select(Quote.id, Quote.text).where(Quote.article_id == article.id)).all())
    engine.write(session, ARTICLE, [_article_doc(article, quotes)])


def index_quotes(session: Session, quotes: Iterable[Quote]) -> None:
    """(Re)index quotes, each in its own language, in the caller's transaction."""
    docs = [(q.id, analyser_for(q.language), (q.text[:MAX_INDEXED_CHARS],)) for q in quotes]
    _engine(session).write(session, QUOTE, docs)


def unindex_quotes(session: Session, quote_ids: Iterable[str]) -> None:
    _engine(session).remove(session, QUOTE, list(quote_ids))


def reindex(session: Session, *, batch: int = 500) -> Iterator[int]:
    """Rebuild the whole index in batches; yields how many documents each batch indexed.

    The caller commits after each batch. Rows are replaced in place, so search keeps
    answering while it runs; rows of deleted articles and quotes are dropped at the end.
    """
    engine = _engine(session)
    columns = (Article.id, Article.title, Article.kicker, Article.standfirst, Article.body, Article.language)
    last = ""
    while True:
        rows = session.execute(
            sa.select(*columns).where(Article.deleted_at.is_(None), Article.id > last)
            .order_by(Article.id).limit(batch)
        ).all()
        if not rows:
            break
        by_article: dict[str, dict[str, str]] = {r.id: {} for r in rows}
        for article_id, quote_id, text in session.execute(
            sa.select(Quote.article_id, Quote.id, Quote.text).where(Quote.article_id.in_(list(by_article)))
        ):
            by_article[article_id][quote_id] = text
        engine.write(session, ARTICLE, [_article_doc(r, by_article[r.id]) for r in rows])
        last = rows[-1].id
        yield len(rows)
    last = ""
    while True:
        quotes = session.execute(
            sa.select(Quote.id, Quote.text, Quote.language).where(Quote.id > last).order_by(Quote.id).limit(batch)
        ).all()
        if not quotes:
            break
        index_quotes(session, quotes)
        last = quotes[-1].id
        yield len(quotes)
    engine.prune(session)


def documents_to_index(session: Session) -> int:
    """How many documents `reindex` goes through (for a progress bar)."""
    articles_count = session.scalar(sa.select(sa.func.count()).select_from(Article).where(Article.deleted_at.is_(None)))
    return articles_count + session.scalar(sa.select(sa.func.count()).select_from(Quote))


# ---------------------------------------------------------------------------- searching


def plans_for(q: str, lang: str | None = None) -> list[Plan]:
    """The query analysed for each language searched: `lang`'s alone, or every one."""
    query = parse(q)
    analysers = [analyser_for(lang)] if lang else list(ANALYSERS)
    check_meaningful(query, analysers)
    return [p for a in analysers if (p := plan(query, a)) is not None]


def quote_condition(session: Session, q: str) -> sa.ColumnElement[bool]:
    """A condition on Quote: its text matches `q`, analysed in the quote's own language."""
    hits = _engine(session).hits(QUOTE, plans_for(q), ranked=False).subquery("quote_hits")
    return Quote.id.in_(sa.select(hits.c.key))


def _relevance_cursor(token: str) -> tuple[int, datetime, str]:
    (value, row_id) = decode_cursor(token, "relevance", is_time=False)
    try:
        rank, published = value
        if not isinstance(rank, int):
            raise ValueError
        return rank, datetime.fromisoformat(published), row_id
    except (TypeError, ValueError):
        raise InvalidParameter("cursor", "not a cursor this API issued") from None


def _highlights(session: Session, rows: list[Article], plans: list[Plan]) -> list[str]:
    quotes: dict[str, dict[str, str]] = {a.id: {} for a in rows}
    for article_id, quote_id, text in session.execute(
        sa.select(Quote.article_id, Quote.id, Quote.text).where(Quote.article_id.in_(list(quotes)))
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


def search_articles(
    session: Session, params: articles.ArticleListParams, *, sort: str,
    fields: list[str] | None, include: set[str],
) -> tuple[list[dict[str, Any]], Page]:
    """A page of published articles matching `params.q`, by relevance or by a time sort."""
    plans = plans_for(params.q or "", params.lang)
    ranked = sort == "relevance"
    hits = _engine(session).hits(ARTICLE, plans, ranked=ranked).subquery("hits")
    conds = [articles.public(), *articles.filters(session, params)]
    stmt = sa.select(Article, hits.c.rank).join(hits, hits.c.key == Article.id).where(*conds)
    if ranked:
        order = (hits.c.rank.desc(), Article.published_at.desc(), Article.id.desc())
        if params.cursor:
            rank, published, row_id = _relevance_cursor(params.cursor)
            stmt = stmt.where(sa.or_(
                hits.c.rank < rank,
                sa.and_(hits.c.rank == rank,
                        after_cursor(Article.published_at, Article.id, published, row_id, descending=True)),
            ))
    else:
        column = Article.published_at if sort.endswith("published_at") else Article.updated_at
        descending = sort.startswith("-")
        order = (column.desc(), Article.id.desc()) if descending else (column.asc(), Article.id.asc())
        if params.cursor:
            value, row_id = decode_cursor(params.cursor, sort, is_time=True)
            stmt = stmt.where(after_cursor(column, Article.id, value, row_id, descending=descending))
    found = session.execute(stmt.order_by(*order).limit(params.limit + 1)).all()
    has_more = len(found) > params.limit
    found = found[: params.limit]
    rows = [article for article, _ in found]
    next_cursor = None
    if has_more:
        last, rank = found[-1]
        next_cursor = (
            encode_cursor(sort, [rank, last.published_at.isoformat()], last.id) if ranked
            else encode_cursor(sort, getattr(last, column.key), last.id)
        )
    total = None
    if params.count:
        total = session.scalar(
            sa.select(sa.func.count()).select_from(Article).join(hits, hits.c.key == Article.id).where(*conds)
        )
    items = article_view.build(session, rows, include=include, fields=fields)
    if params.highlight:
        for item, text in zip(items, _highlights(session, rows, plans), strict=True):
            item["highlight"] = text
    return items, Page(items=items, limit=params.limit, next_cursor=next_cursor, total=total)
