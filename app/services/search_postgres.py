"""The PostgreSQL side of search: weighted tsvectors under GIN, each in its language's config."""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, TSVECTOR
from sqlmodel import Session

from app.services.search_analysis import PG_CONFIGS
from app.services.search_parse import Plan
from app.services.search_sqlite import ARTICLE, QUOTE, RANK_SCALE, Kind

# ts_rank weights for D, C, B, A: body (C) 0.2, kicker + standfirst (B) 0.4, title (A) 1.
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
WEIGHT_LETTERS = {ARTICLE: ("A", "B", "C"), QUOTE: ("A",)}
TABLES = (ARTICLE.table, QUOTE.table)


def _document(kind: Kind) -> str:
    """SQL of the weighted tsvector built from the :c0, :c1… texts in config :config."""
    parts = [
        f"setweight(to_tsvector(CAST(:config AS regconfig), :c{i}), '{letter}')"
        for i, letter in enumerate(WEIGHT_LETTERS[kind])
    ]
    return " || ".join(parts)


def write(session: Session, kind: Kind, docs: Iterable[tuple[str, str, tuple[str, ...]]]) -> None:
    """(Re)index documents given as (key, analyser, texts in column order), in one round trip."""
    rows = [
        {"key": key, "analyser": analyser, "config": PG_CONFIGS[analyser],
         **{f"c{i}": text for i, text in enumerate(texts)}}
        for key, analyser, texts in docs
    ]
    if not rows:
        return
    session.execute(
        sa.text(
            f"INSERT INTO {kind.table} ({kind.key}, analyser, document)"
            f" VALUES (:key, :analyser, {_document(kind)})"
            f" ON CONFLICT ({kind.key}) DO UPDATE"
            " SET analyser = excluded.analyser, document = excluded.document"
        ),
        rows,
    )


def remove(session: Session, kind: Kind, keys: list[str]) -> None:
    if keys:
        session.execute(
            sa.text(f"DELETE FROM {kind.table} WHERE {kind.key} = ANY(:keys)"), {"keys": keys}
        )


def prune(session: Session) -> None:
    """Drop index rows whose article is deleted or gone, or whose quote is gone."""
    session.execute(sa.text(
        "DELETE FROM article_search m WHERE NOT EXISTS (SELECT 1 FROM article"
        " WHERE article.id = m.article_id AND article.deleted_at IS NULL)"
    ))
    session.execute(sa.text(
        "DELETE FROM quote_search m WHERE NOT EXISTS (SELECT 1 FROM quote WHERE quote.id = m.quote_id)"
    ))


def _term(config: sa.ColumnElement, text: str) -> sa.ColumnElement:
    # PostgreSQL analyses the words itself, exactly as it analysed the documents.
    return sa.func.phraseto_tsquery(config, sa.bindparam(None, text, sa.Text), type_=TSQUERY)


def tsquery(plan: Plan) -> sa.ColumnElement:
    """The plan as one tsquery expression: && between clauses, || inside one, !! for exclusions."""
    config = sa.cast(sa.literal(PG_CONFIGS[plan.analyser]), REGCONFIG)
    result = None
    for clause in plan.clauses:
        group = None
        for term, _ in clause:
            part = _term(config, term.text)
            group = part if group is None else group.op("||", return_type=TSQUERY)(part)
        result = group if result is None else result.op("&&", return_type=TSQUERY)(group)
    for term, _ in plan.excluded:
        # tsquery_not is the function behind the !! operator.
        excluded = sa.func.tsquery_not(_term(config, term.text), type_=TSQUERY)
        result = result.op("&&", return_type=TSQUERY)(excluded)
    return result


def hits(kind: Kind, plans: list[Plan], *, ranked: bool) -> sa.Select:
    """(key, rank) of the documents that match, each analysed with its own language's plan."""
    table = sa.table(kind.table, sa.column(kind.key), sa.column("analyser"),
                     sa.column("document", TSVECTOR))
    matches, ranks = [], []
    for plan in plans:
        query = tsquery(plan)
        is_plan = table.c.analyser == plan.analyser
        matches.append(sa.and_(is_plan, table.c.document.op("@@")(query)))
        # Normalisation 1 divides by 1 + log(length): long bodies do not win by length alone.
        ranks.append((is_plan, sa.func.ts_rank(sa.literal(RANK_WEIGHTS).cast(sa.ARRAY(sa.REAL)),
                                               table.c.document, query, 1)))
    rank = (
        sa.cast(sa.func.round(sa.case(*ranks) * RANK_SCALE), sa.BigInteger)
        if ranked else sa.literal(0, sa.BigInteger)
    )
    return sa.select(table.c[kind.key].label("key"), rank.label("rank")).where(sa.or_(*matches))
