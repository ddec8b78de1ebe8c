"""Queries of the full-text index: FTS5 on SQLite, tsvector and GIN on PostgreSQL.

A query is analysed once per language and matched against the documents of that language
(app.search.index keeps the documents; app.articles.search pages and ranks articles).
"""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.search.analysis import ANALYSERS, analyser_for
from app.search.index import engine_for
from app.search.kinds import QUOTE
from app.search.parse import Plan, check_meaningful, parse, plan
from app.store.models import Quote
from app.store.sql import AnySelect


def plans_for(q: str, lang: str | None = None) -> list[Plan]:
    """The query analysed for each language searched: `lang`'s alone, or every one."""
    query = parse(q)
    analysers = [analyser_for(lang)] if lang else list(ANALYSERS)
    check_meaningful(query, analysers)
    return [p for a in analysers if (p := plan(query, a)) is not None]


def union(selects: list[AnySelect]) -> AnySelect | sa.CompoundSelect[*tuple[Any, ...]]:
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


def quote_condition(session: Session, q: str) -> sa.ColumnElement[bool]:
    """A condition on Quote: its text matches `q`, analysed in the quote's own language."""
    hits = union(engine_for(session).branches(session, QUOTE, plans_for(q), ranked=False)).subquery("quote_hits")
    return col(Quote.id).in_(sa.select(hits.c.key))
