"""The PostgreSQL side of search: weighted tsvectors under GIN, each in its language's config."""

import math
import re
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, TSVECTOR, insert
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import Session, col

from app.search.analysis import PG_CONFIGS
from app.search.kinds import ARTICLE, QUOTE, RANK_SCALE, TIME_TYPE, Doc, Kind
from app.search.parse import Plan
from app.store import engine as db
from app.store.models import Article
from app.store.models.article import PUBLIC_SQL
from app.store.sql import AnySelect, Prepared

# ts_rank weights for D, C, B, A: body (C) 0.2, kicker + standfirst (B) 0.4, title (A) 1.
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
LETTERS = "ABC"
TABLES = (ARTICLE.table, QUOTE.table)


def _rows(kind: Kind) -> sa.Table:
    columns: list[sa.Column[Any]] = [
        sa.Column(kind.key, sa.String, primary_key=True),
        sa.Column("analyser", sa.String),
        sa.Column("document", TSVECTOR),
    ]
    if kind.dated:
        columns += [
            sa.Column("language", sa.String),
            sa.Column("published_at", TIME_TYPE),
            sa.Column("updated_at", TIME_TYPE),
        ]
    return sa.Table(kind.table, sa.MetaData(), *columns)


_TABLES = {kind: _rows(kind) for kind in (ARTICLE, QUOTE)}


def _document(kind: Kind) -> sa.ColumnElement[Any]:
    """The weighted tsvector built from the c0, c1… texts in the row's config."""
    config = sa.cast(sa.bindparam("config"), REGCONFIG)
    parts = [
        sa.func.setweight(
            sa.func.to_tsvector(config, sa.bindparam(f"c{i}", type_=sa.Text)),
            sa.literal_column(f"'{LETTERS[i]}'"),
            type_=TSVECTOR,
        )
        for i in range(len(kind.columns))
    ]
    document: sa.ColumnElement[Any] = parts[0]
    for part in parts[1:]:
        document = document.op("||", return_type=TSVECTOR)(part)
    return document


def write(session: Session, kind: Kind, docs: Iterable[Doc]) -> None:
    """(Re)index documents in one statement; PostgreSQL analyses the texts itself."""
    rows: list[dict[str, Any]] = []
    for d in {doc.key: doc for doc in docs}.values():
        row: dict[str, Any] = {
            "k": d.key,
            "a": d.analyser,
            "config": PG_CONFIGS[d.analyser],
            **{f"c{i}": text for i, text in enumerate(d.texts)},
        }
        if kind.dated:
            row.update(lang=d.language, p=d.published_at, u=d.updated_at)
        rows.append(row)
    if rows:
        db.rows(session, _upsert(kind), rows[0] if len(rows) == 1 else rows)


@lru_cache(maxsize=2)
def _upsert(kind: Kind) -> Prepared:
    """Built once per kind, and prepared (app/store/sql.py): every public write runs it."""
    table = _TABLES[kind]
    values: dict[str, sa.ColumnElement[Any]] = {
        kind.key: sa.bindparam("k", type_=sa.String),
        "analyser": sa.bindparam("a", type_=sa.String),
        "document": _document(kind),
    }
    if kind.dated:
        values.update(
            language=sa.bindparam("lang", type_=sa.String),
            published_at=sa.bindparam("p", type_=TIME_TYPE),
            updated_at=sa.bindparam("u", type_=TIME_TYPE),
        )
    stmt = insert(table).values(values)
    return Prepared(
        stmt.on_conflict_do_update(
            index_elements=[kind.key], set_={name: stmt.excluded[name] for name in values if name != kind.key}
        )
    )


def remove(session: Session, kind: Kind, keys: list[str]) -> None:
    if keys:
        table = _TABLES[kind]
        session.execute(sa.delete(table).where(table.c[kind.key].in_(keys)))


def prune(session: Session) -> None:
    """Drop index rows of articles no longer public and of quotes that are gone."""
    session.execute(
        sa.text(
            "DELETE FROM article_search m WHERE NOT EXISTS (SELECT 1 FROM article WHERE article.id = m.article_id"
            f" AND {PUBLIC_SQL})"
        )
    )
    session.execute(
        sa.text("DELETE FROM quote_search m WHERE NOT EXISTS (SELECT 1 FROM quote WHERE quote.id = m.quote_id)")
    )


def _term(config: sa.ColumnElement[Any], text: str) -> sa.ColumnElement[Any]:
    # PostgreSQL analyses the words itself, exactly as it analysed the documents.
    return sa.func.phraseto_tsquery(config, sa.bindparam(None, text, sa.Text), type_=TSQUERY)


def tsquery(plan: Plan) -> sa.ColumnElement[Any]:
    """The plan as one tsquery expression: && between clauses, || inside one, !! for exclusions."""
    config = sa.cast(sa.literal(PG_CONFIGS[plan.analyser]), REGCONFIG)
    result: sa.ColumnElement[Any] | None = None
    for clause in plan.clauses:
        group: sa.ColumnElement[Any] | None = None
        for term, _ in clause:
            part = _term(config, term.text)
            group = part if group is None else group.op("||", return_type=TSQUERY)(part)
        result = group if result is None else result.op("&&", return_type=TSQUERY)(group)
    if result is None:
        raise ValueError("a search plan has a clause at least (parse makes sure of it)")
    for term, _ in plan.excluded:
        # tsquery_not is the function behind the !! operator.
        excluded = sa.func.tsquery_not(_term(config, term.text), type_=TSQUERY)
        result = result.op("&&", return_type=TSQUERY)(excluded)
    return result


def _constant(session: Session, plans: list[Plan]) -> list[tuple[sa.ColumnElement[Any], list[list[list[str]]]]]:
    """Each plan's tsquery, built by PostgreSQL once, then written into the statement as a
    literal: the planner can then see how many documents it matches, and walk the
    (analyser, published_at) index rather than the GIN one when most of them do. With it,
    the lexemes of each term of each clause, then of the exclusions (for `_share`)."""
    # JIT is off on every connection (app/store/engine.py SESSION_SETTINGS): a ranked search's
    # cost estimate passes `jit_above_cost`, and compiling took longer than running it.
    # The plans' tsqueries, then each term's (its lexemes, for the estimate), in one round trip.
    terms = [
        [[term.text for term, _ in clause] for clause in p.clauses] + [[term.text for term, _ in p.excluded]]
        for p in plans
    ]
    columns = [sa.cast(tsquery(p), sa.Text) for p in plans]
    for p, groups in zip(plans, terms, strict=True):
        config = sa.cast(sa.literal(PG_CONFIGS[p.analyser]), REGCONFIG)
        columns += [sa.cast(_term(config, text), sa.Text) for group in groups for text in group]
    texts = iter(session.execute(sa.select(*columns)).one())
    queries = [next(texts) for _ in plans]
    out: list[tuple[sa.ColumnElement[Any], list[list[list[str]]]]] = []
    for query, groups in zip(queries, terms, strict=True):
        lexemes = [[_lexemes(next(texts)) for _ in group] for group in groups]
        # tsquery's text form quotes its lexemes; doubling quotes makes it a safe SQL literal.
        literal = sa.literal_column("'" + query.replace("'", "''") + "'::tsquery", TSQUERY)
        out.append((literal, lexemes))
    return out


# How a ranked search finds the `limit` most recent matches of a language. When its words are
# common, walking that language's documents newest first finds them in a few thousand rows;
# when they are rare, the GIN index finds them all at once, and they are few. PostgreSQL
# chooses from its estimate of the matches, which for a word of one language is too low by
# the share of the other languages (a word of the English quarter of an archive is estimated
# at a quarter of its matches, a pair of words at a sixteenth): it took the GIN index for
# common English words and pairs, and ranked every match (14,081 for `government` at 100,000
# articles; ten times as many at 1,000,000). So the estimate is made here, from the words of
# the language's SAMPLE newest documents (what a walk reads first), and a plan matching at
# least WALK_SHARE of them walks at most WALK_MARGIN times the rows it should need; if the walk
# finds fewer than `limit` (the estimate was wrong), the statement falls back to the planner's
# way, so the matches are the same either way.
WALK_SHARE = 0.05
WALK_MARGIN = 3
WALK_ROWS = 20  # a walk reads at most this many times `limit` rows: a wrong estimate costs that much
SAMPLE = 500
SAMPLE_SECONDS = 600.0  # each process samples each language again this often
_samples: dict[tuple[str, str], tuple[float, dict[str, float]]] = {}


def _sample(session: Session, analyser: str) -> dict[str, float]:
    """The share of the analyser's SAMPLE newest documents holding each of their lexemes
    (`ts_stat`, some 10 ms, once in SAMPLE_SECONDS per process and language)."""
    key = (str(session.get_bind().engine.url), analyser)
    cached = _samples.get(key)
    if cached and time.monotonic() - cached[0] < SAMPLE_SECONDS:
        return cached[1]
    newest = (
        f"SELECT document FROM {ARTICLE.table} WHERE analyser = '{analyser}' ORDER BY published_at DESC LIMIT {SAMPLE}"
    )
    size = session.execute(sa.text(f"SELECT count(*) FROM ({newest}) AS newest")).scalar_one()
    shares: dict[str, float] = {}
    if size:
        words = session.execute(sa.text("SELECT word, ndoc FROM ts_stat(:newest)"), {"newest": newest})
        shares = {word: ndoc / size for word, ndoc in words}
    _samples[key] = (time.monotonic(), shares)
    return shares


def _lexemes(tsquery_text: str) -> list[str]:
    return [m.replace("''", "'") for m in re.findall(r"'((?:[^']|'')*)'", tsquery_text)]


def _share(shares: dict[str, float], clauses: list[list[list[str]]], excluded: list[list[str]]) -> float:
    """The estimated share of the language's documents matching, from `_sample`'s: each
    clause's terms' shares added, the clauses' multiplied (words taken as independent), a term
    of several words (a phrase) at most half its rarest word's."""

    def term(words: list[str]) -> float:
        share = min((shares.get(w, 0.0) for w in words), default=0.0)
        return share / 2 if len(words) > 1 else share

    share = math.prod(min(1.0, sum(term(t) for t in clause)) for clause in clauses)
    for words in excluded:
        share *= 1 - term(words)
    return share


def _has_phrase(plan: Plan) -> bool:
    """Whether a term of the plan is several words ("cessez-le-feu", a quoted phrase)."""
    return any(len(words) > 1 for clause in plan.clauses for _, words in clause)


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
    keeps its `limit` most recent matches that pass them, and only those are ranked:
    ranking reads every candidate's tsvector. `by_date` (pages by `published_at`) changes
    nothing here: the planner walks `(analyser, published_at)` itself when the words are common.
    """
    table = _TABLES[kind]
    times = [table.c.published_at, table.c.updated_at] if kind.dated else []
    # Normalisation 1 divides by 1 + log(length): long bodies do not win by length alone.
    weights = sa.cast(sa.literal(RANK_WEIGHTS), sa.ARRAY(sa.REAL))
    selects: list[AnySelect] = []
    for plan, (query, lexemes) in zip(plans, _constant(session, plans), strict=True):
        # The analyser as a literal, so that the planner uses that analyser's partial index.
        analysed = [table.c.analyser == sa.literal_column(f"'{plan.analyser}'")]
        if language:
            analysed.append(table.c.language == language)
        matches = sa.and_(*analysed, table.c.document.op("@@")(query), *filters)
        source = table.join(Article, col(Article.id) == table.c[kind.key]) if filters else table
        if not ranked:
            selects.append(
                sa.select(table.c[kind.key].label("key"), sa.literal(0, sa.BigInteger).label("rank"), *times)
                .select_from(source)
                .where(matches)
            )
            continue
        rank = sa.cast(sa.func.round(sa.func.ts_rank(weights, table.c.document, query, 1) * RANK_SCALE), sa.BigInteger)
        select = sa.select(table.c[kind.key].label("key"), rank.label("rank"), *times)
        share = _share(_sample(session, plan.analyser), lexemes[:-1], lexemes[-1]) if kind.dated else 0.0
        if limit is None:
            select = select.select_from(source).where(matches)
        elif not _has_phrase(plan):
            # Ranked in the scan that finds them, from the row it has read: a common word is
            # walked newest first on (analyser, published_at) and the walk stops at `limit`;
            # a rarer one comes from the GIN index, few enough to rank all before the sort
            # (which sorts ranks, not tsvectors). Reading the candidates' rows a second time
            # cost a lookup each, or a scan of the whole table once the planner knew how many
            # there were.
            select = select.select_from(source).where(matches)
            if kind.dated:
                select = select.order_by(_newest_first(table, share))
            select = sa.select(select.limit(limit).subquery())
        else:
            # PostgreSQL under-estimates a phrase's matches by about ten times and takes them all
            # from the GIN index: ranking them all would cost more than picking the `limit`
            # most recent first, narrow (no tsvector to sort), then reading those rows to rank.
            recent = sa.select(table.c[kind.key]).select_from(source).where(matches)
            if kind.dated:
                recent = recent.order_by(_newest_first(table, share))
            latest = recent.limit(limit).subquery("recent")
            select = select.select_from(table.join(latest, latest.c[kind.key] == table.c[kind.key]))
        if limit is not None and share >= WALK_SHARE:
            select = _walk_first(table, kind, analysed, query, rank, filters, limit, share, select, len(selects))
        selects.append(select)
    return selects


def _newest_first(table: sa.Table, share: float) -> sa.ColumnElement[Any]:
    """The order of a language's matches, newest first. When none of the language's sampled
    documents holds the words (a French query's English branch), they are rare in it and the
    GIN index finds them at once; the planner, which estimates words over every language's
    rows, would instead walk the language's rows newest first looking for them: all of them
    when there are none (1.0 s of a 1.1 s search at 1,000,000 articles, bench/README.md). An
    expression of the column, not the column, leaves it no index to walk in that order."""
    if share > 0:
        return table.c.published_at.desc()
    return (table.c.published_at + sa.text("interval '0 seconds'")).desc()


def _walk_first(
    table: sa.Table,
    kind: Kind,
    analysed: list[sa.ColumnElement[bool]],
    query: sa.ColumnElement[Any],
    rank: sa.ColumnElement[Any],
    filters: Sequence[sa.ColumnExpressionArgument[bool]],
    limit: int,
    share: float,
    planned: AnySelect,
    n: int,
) -> AnySelect:
    """The `limit` most recent matches from a walk over the language's newest rows, at most as
    many as the estimated share should need (times WALK_MARGIN); `planned` (the planner's
    way) if the walk finds fewer. The walk's LIMIT makes it a walk: the planner has no other
    way to the newest rows."""
    rows = WALK_ROWS * limit if share <= 0 else min(math.ceil(limit / share * WALK_MARGIN), WALK_ROWS * limit)
    # The analyser alone: the index's own order, which no other plan can beat to the newest rows.
    newest = sa.select(table).where(analysed[0]).order_by(table.c.published_at.desc()).limit(rows).subquery("newest")
    source: sa.FromClause = newest
    if filters:
        source = newest.join(Article, col(Article.id) == newest.c[kind.key])
    walked = (
        sa.select(
            newest.c[kind.key].label("key"),
            _on(rank, table, newest).label("rank"),
            newest.c.published_at,
            newest.c.updated_at,
        )
        .select_from(source)
        .where(*(_on(c, table, newest) for c in analysed[1:]), newest.c.document.op("@@")(query), *filters)
        .order_by(newest.c.published_at.desc())
        .limit(limit)
        .cte(f"walked_{n}")
    )
    found = sa.select(sa.func.count()).select_from(walked).scalar_subquery()
    planned_rows = planned.subquery(f"planned_{n}")
    return sa.select(
        sa.union_all(
            sa.select(walked).where(found >= limit),
            sa.select(planned_rows).where(found < limit),
        ).subquery(f"branch_{n}")
    )


def _on(expression: sa.ColumnElement[Any], table: sa.Table, alias: sa.Subquery) -> sa.ColumnElement[Any]:
    """`expression` with `table`'s columns replaced by the same columns of `alias`."""
    return ClauseAdapter(alias).traverse(expression)
