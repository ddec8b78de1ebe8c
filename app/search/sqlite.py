"""The SQLite side of search: FTS5 tables of terms analysed in Python, ranked with bm25.

Each analyser (language) has its own range of rowids, ROWIDS wide: French documents from 1,
English ones from 2**40, the others from 2**41. A search branch walks its analyser's range
only (FTS5 seeks a rowid range in each term's doclist), so the English branch of a search for
French words no longer walks every French match to find no English one (9 ms at 100,000
articles, ten times that at 1,000,000), while every language stays in one table: bm25's
statistics (IDF, average length) are the whole index's, as they were.
"""

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.search.analysis import ANALYSERS, analyse
from app.search.kinds import ARTICLE, QUOTE, RANK_SCALE, TIME_TYPE, Doc, Kind
from app.search.parse import Plan
from app.store.models import Article
from app.store.models.article import PUBLIC_SQL
from app.store.sql import AnySelect, Prepared

# bm25 column weights: title, kicker + standfirst, body. A title hit is worth ten body hits.
WEIGHTS = (10.0, 4.0, 1.0)
TABLES = (ARTICLE.fts, ARTICLE.table, QUOTE.fts, QUOTE.table)
ROWIDS = 1 << 40  # each analyser's range of rowids: ANALYSERS' order, from 0 (migration e4b7d1a9c3f6)


def _range(analyser: str) -> tuple[int, int]:
    """The rowids [low, high) of an analyser's documents."""
    low = ANALYSERS.index(analyser) * ROWIDS
    return low, low + ROWIDS


def _rows(kind: Kind) -> sa.Table:
    """The mapping table of a kind: key → the integer rowid of its FTS5 row (and its times)."""
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(kind.key, sa.String),
        sa.Column("analyser", sa.String),
    ]
    if kind.dated:
        columns += [
            sa.Column("language", sa.String),
            sa.Column("published_at", TIME_TYPE),
            sa.Column("updated_at", TIME_TYPE),
        ]
    return sa.Table(kind.table, sa.MetaData(), *columns)


_TABLES = {kind: _rows(kind) for kind in (ARTICLE, QUOTE)}


def _update(kind: Kind) -> Prepared:
    """A mapping row's UPDATE by rowid (what `_changed` gives), prepared (app/store/sql.py): every
    write to a public article runs it."""
    table = _TABLES[kind]
    values = {c.name: sa.bindparam(c.name, type_=c.type) for c in table.c if c.name not in ("id", kind.key)}
    return Prepared(table.update().where(table.c.id == sa.bindparam("rowid", type_=sa.Integer)).values(values))


_UPDATE = {kind: _update(kind) for kind in (ARTICLE, QUOTE)}


def _rowids(conn: sa.Connection, kind: Kind, keys: list[str]) -> dict[str, int]:
    """The FTS5 rowid of each of these keys that is indexed."""
    if len(keys) == 1:  # a write to one article: prepared (app/store/sql.py)
        return dict(_rowid_of(kind).run(conn, {"key": keys[0]}))
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found.update(
            conn.exec_driver_sql(
                f"SELECT {kind.key}, id FROM {kind.table} WHERE {kind.key} IN ({marks})", tuple(chunk)
            ).all()
        )
    return found


@lru_cache(maxsize=4)
def _rowid_of(kind: Kind) -> Prepared:
    table = _TABLES[kind]
    return Prepared(
        sa.select(table.c[kind.key], table.c.id).where(table.c[kind.key] == sa.bindparam("key", type_=sa.String))
    )


@lru_cache(maxsize=32)
def _set_terms(kind: Kind, columns: tuple[str, ...]) -> Prepared:
    """The FTS5 UPDATE of some of a row's columns (those a write changed), prepared."""
    sets = ", ".join(f"{column} = :{column}" for column in columns)
    return Prepared(sa.text(f"UPDATE {kind.fts} SET {sets} WHERE rowid = :rowid"))


def _delete(session: Session, kind: Kind, keys: list[str]) -> None:
    """Delete the FTS5 rows of these keys, then their mappings.

    By rowid, from Python: a trigger on the mapping table would scan the whole FTS5 table
    for each row (SQLite does not use the rowid inside a trigger's program).
    """
    conn = session.connection()
    if ids := _rowids(conn, kind, keys):
        conn.exec_driver_sql(f"DELETE FROM {kind.fts} WHERE rowid = ?", [(i,) for i in ids.values()])
        conn.exec_driver_sql(f"DELETE FROM {kind.table} WHERE id = ?", [(i,) for i in ids.values()])


def _mapping(kind: Kind, rowid: int, doc: Doc) -> dict[str, Any]:
    row = {"id": rowid, kind.key: doc.key, "analyser": doc.analyser}
    if kind.dated:
        row.update(language=doc.language, published_at=doc.published_at, updated_at=doc.updated_at)
    return row


def write(session: Session, kind: Kind, docs: Iterable[Doc]) -> None:
    """(Re)index documents, a few statements for the whole batch: documents already indexed are
    updated in place (their rowid kept), new ones inserted."""
    by_key = {doc.key: doc for doc in docs}
    if not by_key:
        return
    conn = session.connection()
    indexed = _rowids(conn, kind, list(by_key))
    # A document whose analyser changed moves to that analyser's range: removed, then new.
    if moved := [key for key, rowid in indexed.items() if rowid // ROWIDS != _range(by_key[key].analyser)[0] // ROWIDS]:
        _delete(session, kind, moved)
        indexed = {key: rowid for key, rowid in indexed.items() if key not in moved}
    rows = [(rowid, by_key[key]) for key, rowid in indexed.items()]
    if rows:
        _UPDATE[kind].run(conn, [_changed(kind, rowid, d) for rowid, d in rows])
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for rowid, d in rows:  # only the texts that changed are analysed again
            changed = [(c, text) for c, text in zip(kind.columns, d.texts, strict=True) if c not in d.kept]
            columns = tuple(c for c, _ in changed)
            terms = _analysed([t for _, t in changed], d.analyser)
            by_columns.setdefault(columns, []).append({**dict(zip(columns, terms, strict=True)), "rowid": rowid})
        for columns, params in by_columns.items():
            if columns:
                _set_terms(kind, columns).run(conn, params[0] if len(params) == 1 else params)
    new = [d for key, d in by_key.items() if key not in indexed]
    if not new:
        return
    # Writers hold SQLite's one write lock from BEGIN IMMEDIATE (app/store/sqlite.py): max(id) cannot move.
    marks = ", ".join("?" * len(kind.columns))
    for analyser in dict.fromkeys(d.analyser for d in new):
        low, high = _range(analyser)
        start = conn.exec_driver_sql(
            f"SELECT coalesce(max(id), ?) FROM {kind.table} WHERE id >= ? AND id < ?", (low, low, high)
        ).scalar_one()
        numbered = list(enumerate((d for d in new if d.analyser == analyser), start=start + 1))
        conn.execute(_TABLES[kind].insert(), [_mapping(kind, rowid, d) for rowid, d in numbered])
        conn.exec_driver_sql(
            f"INSERT INTO {kind.fts} (rowid, {', '.join(kind.columns)}) VALUES (?, {marks})",
            [(rowid, *_analysed(d.texts, d.analyser)) for rowid, d in numbered],
        )


def _changed(kind: Kind, rowid: int, doc: Doc) -> dict[str, Any]:
    """The parameters of a mapping row's UPDATE: what may change, and the row it is."""
    row = _mapping(kind, rowid, doc)
    del row["id"], row[kind.key]
    return {**row, "rowid": rowid}


def _analysed(texts: Iterable[str], analyser: str) -> tuple[str, ...]:
    """Texts as FTS5 stores them: analysed terms, space-separated."""
    return tuple(" ".join(analyse(t, analyser)) for t in texts)


def remove(session: Session, kind: Kind, keys: list[str]) -> None:
    if keys:
        _delete(session, kind, keys)


def prune(session: Session) -> None:
    """Drop index rows of articles no longer public and of quotes that are gone."""
    conn = session.connection()
    alive = {
        ARTICLE: f"SELECT 1 FROM article WHERE article.id = m.article_id AND {PUBLIC_SQL}",
        QUOTE: "SELECT 1 FROM quote WHERE quote.id = m.quote_id",
    }
    for kind, exists in alive.items():
        keys = [
            k for (k,) in conn.exec_driver_sql(f"SELECT {kind.key} FROM {kind.table} m WHERE NOT EXISTS ({exists})")
        ]
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
    clauses = ["(" + " OR ".join(_phrase(terms) for _, terms in clause) + ")" for clause in plan.clauses]
    expression = " AND ".join(clauses)
    if plan.excluded:
        expression = f"({expression}) NOT (" + " OR ".join(_phrase(t) for _, t in plan.excluded) + ")"
    return expression


def _indexed(session: Session, kind: Kind, analysers: set[str]) -> set[str]:
    """Which of these analysers have a document in the index: a seek each in
    `ix_{table}_analyser`."""
    table = _TABLES[kind]
    probes = [
        sa.select(sa.literal(a, sa.String)).where(sa.exists().where(table.c.analyser == a)) for a in sorted(analysers)
    ]
    return set(session.scalars(probes[0] if len(probes) == 1 else sa.union_all(*probes)))


# A page by date of a common word walks its analyser's entries in date order, probing each
# in FTS5 (`rowid = ?` with the MATCH: a seek in each term's doclist, 12-105 µs at 1,000,000
# articles), and stops when the page is full. Whether the word is common enough is told by the
# SAMPLE newest entries: a walk is taken when they say a page needs at most WALK_ENTRIES of
# them; otherwise every match is read and sorted, as they are few.
SAMPLE = 64
WALK_ENTRIES = 500


def _walks(session: Session, kind: Kind, plan: Plan, page: int) -> bool:
    """Whether a page of `page` matches by date is found sooner by walking the analyser's
    entries in date order and probing each than by reading every match and sorting them:
    when the SAMPLE newest entries hold enough matches that a page needs at most
    WALK_ENTRIES entries."""
    found = (
        session.connection()
        .exec_driver_sql(
            f"SELECT count(*) FROM (SELECT id FROM {kind.table} WHERE analyser = ? ORDER BY published_at DESC LIMIT ?)"
            f" AS newest WHERE EXISTS (SELECT 1 FROM {kind.fts} WHERE {kind.fts} MATCH ? AND rowid = newest.id)",
            (plan.analyser, SAMPLE, match_expression(plan)),
        )
        .scalar_one()
    )
    return found > 0 and page * SAMPLE / found <= WALK_ENTRIES


def branches(
    session: Session,
    kind: Kind,
    plans: list[Plan],
    *,
    ranked: bool,
    limit: int | None = None,
    filters: Sequence[sa.ColumnExpressionArgument[bool]] = (),
    language: str | None = None,
    by_date: int | None = None,
) -> list[AnySelect]:
    """One select per language of the key, rank (and times) of the documents that match.

    `filters` are conditions on Article (joined on the key); `language`, the documents'
    exact language (from the index row: no need to read the article). With `limit`, each language
    keeps its `limit` most recently indexed matches that pass them (FTS5 walks its rowids
    backwards and stops), and bm25 is computed for those only. `by_date` (unranked, articles):
    the caller takes pages of so many matches by `published_at`; a common word's branch is then
    written to walk its analyser's entries in that order (`_walks`).
    """
    fts = sa.table(kind.fts, sa.column("rowid"))
    rows = _TABLES[kind]
    # A branch walks every match of its terms to find those of its analyser, and a name
    # (Téhéran, Dakar) is the same term in every language: a branch for an analyser the index
    # holds nothing of would walk them all to find none.
    plans = [p for p in plans if p.analyser in _indexed(session, kind, {p.analyser for p in plans})] or plans[:1]
    fts_name: sa.ColumnClause[Any] = sa.literal_column(kind.fts)
    times = [rows.c.published_at, rows.c.updated_at] if kind.dated else []
    selects: list[AnySelect] = []
    for plan in plans:
        rank: sa.ColumnElement[int]
        if ranked:
            bm25 = sa.func.bm25(fts_name, *WEIGHTS[: len(kind.columns)])
            rank = sa.cast(sa.func.round(-bm25 * RANK_SCALE), sa.BigInteger)
        else:
            rank = sa.literal(0, sa.BigInteger)
        if by_date and not ranked and not filters and kind.dated and _walks(session, kind, plan, by_date):
            # Each entry walked is probed: FTS5 seeks its rowid in the terms' doclists.
            probe = sa.table(kind.fts, sa.column("rowid")).alias("probe")
            hidden: sa.ColumnClause[Any] = sa.literal_column(f"probe.{kind.fts}")  # FTS5: named as its table
            matched = sa.exists(
                sa.select(sa.literal_column("1"))
                .select_from(probe)
                .where(hidden.op("MATCH")(match_expression(plan)), probe.c.rowid == rows.c.id)
            )
            walked = sa.select(rows.c[kind.key].label("key"), rank.label("rank"), *times).where(
                rows.c.analyser == plan.analyser, matched, *([rows.c.language == language] if language else [])
            )
            selects.append(walked)
            continue
        source = fts.join(rows, rows.c.id == fts.c.rowid)
        if filters:
            source = source.join(Article, col(Article.id) == rows.c[kind.key])
        select = (
            sa.select(rows.c[kind.key].label("key"), rank.label("rank"), *times)
            .select_from(source)
            .where(
                fts_name.op("MATCH")(match_expression(plan)),
                fts.c.rowid >= _range(plan.analyser)[0],
                fts.c.rowid < _range(plan.analyser)[1],
                rows.c.analyser == plan.analyser,
                *filters,
                *([rows.c.language == language] if language else []),
            )
        )
        if limit is not None:  # a compound SELECT takes no LIMIT of its own: wrap it
            select = sa.select(select.order_by(fts.c.rowid.desc()).limit(limit).subquery())
        selects.append(select)
    return selects
