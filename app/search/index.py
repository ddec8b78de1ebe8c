"""Keeping the search index in step with the content, and rebuilding it."""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col

from app.kit.blocks import body_text
from app.search import postgres, sqlite
from app.search.analysis import analyser_for
from app.search.kinds import ARTICLE, QUOTE, Doc, Kind
from app.search.parse import Plan
from app.store.engine import is_postgres, rows
from app.store.models import Article, Quote
from app.store.sql import AnySelect

# Tables of the index on either engine; tests empty them along with the models' tables.
INDEX_TABLES = tuple(dict.fromkeys((*sqlite.TABLES, *postgres.TABLES)))
# Longer bodies are indexed up to here: far past any article, and within tsvector's 1 MB.
MAX_INDEXED_CHARS = 200_000


class SearchEngine(Protocol):
    """What each engine's module (app/search/postgres.py, app/search/sqlite.py) offers."""

    def write(self, session: Session, kind: Kind, docs: Iterable[Doc]) -> None: ...

    def remove(self, session: Session, kind: Kind, keys: list[str]) -> None: ...

    def prune(self, session: Session) -> None: ...

    def branches(
        self,
        session: Session,
        kind: Kind,
        plans: list[Plan],
        *,
        ranked: bool,
        limit: int | None = None,
        filters: Sequence[sa.ColumnExpressionArgument[bool]] = (),
        language: str | None = None,
        by_date: int | None = None,
    ) -> list[AnySelect]: ...


def engine_for(session: Session) -> SearchEngine:
    return postgres if is_postgres(session) else sqlite


def _article_doc(row: Any, quotes: dict[str, str], kept: frozenset[str] = frozenset()) -> Doc:
    standfirst = "\n".join(filter(None, [row.kicker, row.standfirst]))
    body = body_text(row.body or [], quotes)[:MAX_INDEXED_CHARS]
    return Doc(
        row.id,
        analyser_for(row.language),
        (row.title, standfirst, body),
        language=row.language,
        published_at=row.published_at,
        updated_at=row.updated_at,
        kept=kept,
    )


# The index's article columns, and the write-shape fields each is made of (with the language,
# which picks the analyser).
_COLUMN_FIELDS = {"title": {"title"}, "standfirst": {"kicker", "standfirst"}, "body": {"body", "quotes"}}


def index_article(
    session: Session, article: Article, *, quotes: dict[str, str] | None = None, same: frozenset[str] = frozenset()
) -> None:
    """Bring the search index up to date with `article`, in the caller's transaction;
    `quotes` ({id: text}, all of the article's) when the caller has them, else they are read;
    `same`: write-shape fields the write left as they were, whose terms are not analysed again.

    Only public articles are indexed: a draft, an unpublished or a deleted article leaves it.
    """
    engine = engine_for(session)
    if not article.is_public:
        engine.remove(session, ARTICLE, [article.id])
        return
    if quotes is None:
        quotes = dict(
            rows(session, sa.select(col(Quote.id), col(Quote.text)).where(col(Quote.article_id) == article.id)).all()
        )
    kept = frozenset(c for c, fields in _COLUMN_FIELDS.items() if fields | {"language"} <= same)
    engine.write(session, ARTICLE, [_article_doc(article, quotes, kept)])


def index_articles(session: Session, articles: Iterable[tuple[Article, dict[str, str]]]) -> None:
    """Index public articles, each with all of its quotes ({id: text}), in one write (the
    import's bulk path, app/transfer/bulk.py): what `index_article` does for each."""
    engine_for(session).write(session, ARTICLE, [_article_doc(article, quotes) for article, quotes in articles])


def index_quotes(session: Session, quotes: Iterable[Any]) -> None:
    """(Re)index quotes, each in its own language, in the caller's transaction."""
    docs = [Doc(q.id, analyser_for(q.language), (q.text[:MAX_INDEXED_CHARS],)) for q in quotes]
    engine_for(session).write(session, QUOTE, docs)


def unindex_quotes(session: Session, quote_ids: Iterable[str]) -> None:
    engine_for(session).remove(session, QUOTE, list(quote_ids))


def _public_articles() -> tuple[sa.ColumnExpressionArgument[bool], ...]:
    return (Article.is_public,)


def documents_to_index(session: Session) -> int:
    """How many documents `reindex` goes through (for a progress bar)."""
    count = sa.select(sa.func.count()).select_from(Article).where(*_public_articles())
    quotes = sa.select(sa.func.count()).select_from(Quote)
    return session.execute(count).scalar_one() + session.execute(quotes).scalar_one()


def reindex(session: Session, *, batch: int = 500) -> Iterator[int]:
    """Rebuild the whole index in batches; yields how many documents each batch indexed.

    The caller commits after each batch. Rows are replaced in place, so search keeps
    answering while it runs; rows of content no longer public are dropped at the end.
    """
    engine = engine_for(session)
    columns = (
        col(Article.id),
        col(Article.title),
        col(Article.kicker),
        col(Article.standfirst),
        col(Article.body),
        col(Article.language),
        col(Article.published_at),
        col(Article.updated_at),
    )
    last = ""
    while rows := session.execute(
        sa.select(*columns).where(*_public_articles(), col(Article.id) > last).order_by(col(Article.id)).limit(batch)
    ).all():
        quotes: dict[str, dict[str, str]] = {r.id: {} for r in rows}
        for article_id, quote_id, text in session.execute(
            sa.select(col(Quote.article_id), col(Quote.id), col(Quote.text)).where(
                col(Quote.article_id).in_(list(quotes))
            )
        ):
            quotes[article_id][quote_id] = text
        engine.write(session, ARTICLE, [_article_doc(r, quotes[r.id]) for r in rows])
        last = rows[-1].id
        yield len(rows)
    last = ""
    while rows := session.execute(
        sa.select(col(Quote.id), col(Quote.text), col(Quote.language))
        .where(col(Quote.id) > last)
        .order_by(col(Quote.id))
        .limit(batch)
    ).all():
        index_quotes(session, rows)
        last = rows[-1].id
        yield len(rows)
    engine.prune(session)
