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


def _delete(session: Session, kind: Kind, keys: list[str]) -> None:
    """Delete the FTS5 rows of these keys, then their mappings.

    By rowid, from Python: a trigger on the mapping table would scan the whole FTS5 table
    for each row (SQLite does not use the rowid inside a trigger's program).
    """
    conn = session.connection()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        ids = conn.exec_driver_sql(f"SELECT id FROM {kind.table} WHERE {kind.key} IN ({marks})", tuple(chunk)).all()
        if ids:
            conn.exec_driver_sql(f"DELETE FROM {kind.fts} WHERE rowid = ?", [tuple(i) for i in ids])
        conn.exec_driver_sql(f"DELETE FROM {kind.table} WHERE {kind.key} = ?", [(k,) for k in chunk])


def write(session: Session, kind: Kind, docs: Iterable[tuple[str, str, tuple[str, ...]]]) -> None:
    """(Re)index documents given as (key, analyser, texts in column order), in a few statements."""
    by_key = {doc[0]: doc for doc in docs}
    if not by_key:
        return
    conn = session.connection()
    # Once the delete has run, this transaction holds SQLite's one write lock: max(id) cannot
    # move under us.
    _delete(session, kind, list(by_key))
    start = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {kind.table}").scalar_one()
    rows = list(enumerate(by_key.values(), start=start + 1))
    conn.exec_driver_sql(
        f"INSERT INTO {kind.table} (id, {kind.key}, analyser) VALUES (?, ?, ?)",
        [(rowid, key, analyser) for rowid, (key, analyser, _) in rows],
    )
    marks = ", ".join("?" * len(kind.columns))
    conn.exec_driver_sql(
        f"INSERT INTO {kind.fts} (rowid, {', '.join(kind.columns)}) VALUES (?, {marks})",
        [(rowid, *(" ".join(analyse(t, analyser)) for t in texts)) for rowid, (_, analyser, texts) in rows],
    )


def remove(session: Session, kind: Kind, keys: list[str]) -> None:
    if keys:
        _delete(session, kind, keys)


def prune(session: Session) -> None:
    """Drop index rows whose article is deleted or gone, or whose quote is gone."""
    conn = session.connection()
    for kind, alive in ((ARTICLE, "SELECT 1 FROM article WHERE article.id = m.article_id AND article.deleted_at IS NULL"),
                        (QUOTE, "SELECT 1 FROM quote WHERE quote.id = m.quote_id")):
        keys = [k for (k,) in conn.exec_driver_sql(f"SELECT {kind.key} FROM {kind.table} m WHERE NOT EXISTS ({alive})")]
        _delete(session, kind, keys)
        # FTS5 rows left without a mapping (a cascade from a hard delete): found through the
        # small _docsize shadow table rather than a scan of the content.
        orphans = conn.exec_driver_sql(
            f"SELECT id FROM {kind.fts}_docsize WHERE id NOT IN (SELECT id FROM {kind.table})"
        ).all()
        if orphans:
            conn.exec_driver_sql(f"DELETE FROM {kind.fts} WHERE rowid = ?", [tuple(i) for i in orphans])


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
