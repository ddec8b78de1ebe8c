"""The SQLite side of search: FTS5 tables of terms analysed in Python, ranked with bm25."""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from app.services.search_analysis import analyse
from app.services.search_parse import Plan

# bm25 column weights: title, kicker + standfirst, body. A title hit is worth ten body hits.
ARTICLE_WEIGHTS = (10.0, 4.0, 1.0)
RANK_SCALE = 1_000_000_000  # ranks are stored as integers so cursors compare them exactly


@dataclass(frozen=True)
class Kind:
    """One searchable resource: its mapping table, key column and FTS5 columns."""

    table: str
    key: str
    columns: tuple[str, ...]

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"


ARTICLE = Kind("article_search", "article_id", ("title", "standfirst", "body"))
QUOTE = Kind("quote_search", "quote_id", ("text",))
TABLES = (f"{ARTICLE.table}_fts", ARTICLE.table, f"{QUOTE.table}_fts", QUOTE.table)


def write(session: Session, kind: Kind, docs: Iterable[tuple[str, str, tuple[str, ...]]]) -> None:
    """(Re)index documents given as (key, analyser, texts in column order)."""
    conn = session.connection()
    columns = ", ".join(kind.columns)
    values = ", ".join(f":c{i}" for i in range(len(kind.columns)))
    insert_key = sa.text(
        f"INSERT INTO {kind.table} ({kind.key}, analyser) VALUES (:key, :analyser) RETURNING id"
    )
    insert_fts = sa.text(f"INSERT INTO {kind.fts} (rowid, {columns}) VALUES (:rowid, {values})")
    for key, analyser, texts in docs:
        # The delete trigger removes the FTS5 row along with its mapping.
        conn.execute(sa.text(f"DELETE FROM {kind.table} WHERE {kind.key} = :key"), {"key": key})
        rowid = conn.execute(insert_key, {"key": key, "analyser": analyser}).scalar_one()
        terms = {f"c{i}": " ".join(analyse(text, analyser)) for i, text in enumerate(texts)}
        conn.execute(insert_fts, {"rowid": rowid, **terms})


def remove(session: Session, kind: Kind, keys: list[str]) -> None:
    if keys:
        session.execute(
            sa.text(f"DELETE FROM {kind.table} WHERE {kind.key} IN :keys").bindparams(
                sa.bindparam("keys", expanding=True)
            ),
            {"keys": keys},
        )


def clear(session: Session) -> None:
    for kind in (ARTICLE, QUOTE):
        session.execute(sa.text(f"DELETE FROM {kind.table}"))
        session.execute(sa.text(f"DELETE FROM {kind.fts}"))


def _phrase(terms: tuple[str, ...]) -> str:
    return '"' + " ".join(terms).replace('"', '""') + '"'


def match_expression(plan: Plan) -> str:
    """The plan in FTS5 query syntax, every term quoted and every group in parentheses."""
    clauses = [
        "(" + " OR ".join(_phrase(terms) for _, terms in clause) + ")" for clause in plan.clauses
    ]
    expression = " AND ".join(clauses)
    if plan.excluded:
        expression = f"({expression}) NOT (" + " OR ".join(_phrase(t) for _, t in plan.excluded) + ")"
    return expression


def hits(kind: Kind, plans: list[Plan], *, ranked: bool) -> sa.Select:
    """(key, rank) of the documents that match, each analysed with its own language's plan."""
    fts = sa.table(kind.fts, sa.column("rowid"))
    mapping = sa.table(kind.table, sa.column("id"), sa.column(kind.key), sa.column("analyser"))
    fts_name = sa.literal_column(kind.fts)
    selects = []
    for plan in plans:
        if ranked:
            bm25 = sa.func.bm25(fts_name, *ARTICLE_WEIGHTS[: len(kind.columns)])
            rank = sa.cast(sa.func.round(-bm25 * RANK_SCALE), sa.BigInteger)
        else:
            rank = sa.literal(0, sa.BigInteger)
        selects.append(
            sa.select(mapping.c[kind.key].label("key"), rank.label("rank"))
            .select_from(fts.join(mapping, mapping.c.id == fts.c.rowid))
            .where(fts_name.op("MATCH")(match_expression(plan)), mapping.c.analyser == plan.analyser)
        )
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)
