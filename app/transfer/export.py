"""NDJSON export of all published content, streamed in keyset batches in constant memory; for
a key with `content:read` (a full export), of every article that is not deleted.

One JSON object per line, `{"type": …, "data": …}`, dependencies first: categories (parents
before children), sources, people, tags, authors, then articles with their quotes and
attributions, then translation groups (each naming its exported members, the original first),
then live blogs' updates; in a full export each article carries its pending version
(`portable_pending`) and, scheduled or unpublished, its `state` (what the write shape's
`draft` cannot say). `data` is the write shape (what POST takes), in its
portable form: no ids, related things by slug, an article, each quote and each live blog
update keyed by `external_id` (its id when it has none), an update naming its article by the
article's key, quote blocks pointing at the article's quotes by index. Order (by slug, by id) and
serialisation (sorted keys) are fixed, so export → import → export gives the same bytes.
Beside the write shape an article carries its times (`created_at`, `updated_at`) and its
correction notices (`corrections`), each with its id and time: no write shape holds them, and
an import keeps them (appending the notices an article does not hold yet).

A slow reader costs bytes, not a connection: each batch is read in a short transaction of its
own (one snapshot for a batch's several queries), on a session closed before its bytes are
handed to the client, so a client reading at 20 KB/s holds no pooled connection and no open
snapshot (PostgreSQL's `idle in transaction`, which also holds vacuum back) while it reads.
The price is that batches are read at different moments: every line is a committed state, and
something written during the export may show in its new state, or (a slug or id that moved
behind the batch being read) not at all. `begin` therefore takes the change feed's cursor
first: replaying the feed from it brings every change the export may have missed.
"""

import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.sql.elements import ColumnElement, SQLCoreOperations
from sqlmodel import Session, col

from app.articles import corrections, queries
from app.changes import feed
from app.store.engine import get_read_engine, is_postgres
from app.store.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticlePending,
    ArticleStatus,
    ArticleTag,
    ArticleUpdate,
    Attribution,
    Author,
    Category,
    Person,
    Quote,
    Source,
    Tag,
    UpdateAttribution,
    resources,
)
from app.store.models.common import to_utc
from app.store.sql import AnySelect
from app.taxonomy import directory, writes
from app.taxonomy.registry import Model, ModelT

BATCH = 500
# Dependencies first: an import reading the file top to bottom always finds what a line names.
# Categories go first, on their own (parents before children); then the other slugged types,
# in the order exports have always had (sources before the people whose quotes cite them).
SLUGGED: tuple[tuple[str, type[Model]], ...] = tuple(
    (name, resources.BY_NAME[name].model) for name in ("source", "person", "tag", "author")
)
# The statuses an article line says `published` of: a write of it with its times makes it again.
PUBLISHED = frozenset({ArticleStatus.published, ArticleStatus.expired})
# The statuses the write shape cannot say (it says `draft`): a full export's line names them.
STATES = frozenset({ArticleStatus.scheduled, ArticleStatus.unpublished})
# A row of a statement, past its first column (what `_grouped` groups by).
Values = tuple[Any, ...]


def line(kind: str, data: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": kind, "data": data}, option=orjson.OPT_SORT_KEYS) + b"\n"


def _time(value: datetime | None) -> str | None:
    # Full precision (not the API's seconds) so that a round trip keeps the exact instant.
    return to_utc(value).isoformat().replace("+00:00", "Z") if value else None


def _grouped(session: Session, stmt: AnySelect) -> dict[str, list[Values]]:
    groups: dict[str, list[Values]] = defaultdict(list)
    for row in session.execute(stmt):
        groups[row[0]].append(row[1:])
    return groups


def _slugs(
    session: Session,
    link: type[ArticleCategory | ArticleTag | ArticleAuthor],
    target: type[Category | Tag | Author],
    fk: SQLCoreOperations[str],
    ids: list[str],
) -> dict[str, list[str]]:
    stmt = (
        select(col(link.article_id), col(target.slug))
        .join(target, col(target.id) == fk)
        .where(col(link.article_id).in_(ids))
        .order_by(col(link.article_id), col(link.position))
    )
    return {a: [slug for (slug,) in rows] for a, rows in _grouped(session, stmt).items()}


def _quotes(session: Session, ids: list[str]) -> dict[str, list[Values]]:
    stmt = (
        select(
            col(Quote.article_id),
            col(Quote.id),
            col(Quote.external_id),
            col(Quote.text),
            col(Person.slug),
            col(Quote.speaker_role),
            col(Source.slug),
            col(Quote.language),
            col(Quote.said_at),
        )
        .join(Person, col(Person.id) == Quote.person_id)
        .outerjoin(Source, col(Source.id) == Quote.source_id)
        .where(col(Quote.article_id).in_(ids))
        .order_by(col(Quote.article_id), col(Quote.position), col(Quote.id))
    )
    return _grouped(session, stmt)


def _body(blocks: list[dict[str, Any]], quote_index: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for stored in blocks:
        block = dict(stored)
        if block.get("type") == "quote":
            index = quote_index.get(block.pop("quote_id", None))
            if index is None:
                continue  # a dangling quote block has nothing to show and could not be imported
            block["quote"] = index
        out.append(block)
    return out


def article_shapes(session: Session, rows: list[Article]) -> list[dict[str, Any]]:
    """The portable write shape of each article, with a fixed number of queries per batch."""
    if not rows:
        return []
    ids = [a.id for a in rows]
    categories = _slugs(session, ArticleCategory, Category, col(ArticleCategory.category_id), ids)
    tags = _slugs(session, ArticleTag, Tag, col(ArticleTag.tag_id), ids)
    authors = _slugs(session, ArticleAuthor, Author, col(ArticleAuthor.author_id), ids)
    attributions = _grouped(
        session,
        (
            select(
                col(Attribution.article_id),
                col(Source.slug),
                col(Attribution.role),
                col(Attribution.label),
                col(Attribution.url),
            )
            .join(Source, col(Source.id) == Attribution.source_id)
            .where(col(Attribution.article_id).in_(ids))
            .order_by(col(Attribution.article_id), col(Attribution.position), col(Attribution.id))
        ),
    )
    quotes = _quotes(session, ids)
    notices = corrections.exported(session, ids)
    wanted = {a.category_id for a in rows if a.category_id} | {a.image_credit_source_id for a in rows} - {None}
    slugs = dict(
        session.execute(select(col(Category.id), col(Category.slug)).where(col(Category.id).in_(wanted))).all()
    )
    slugs |= dict(session.execute(select(col(Source.id), col(Source.slug)).where(col(Source.id).in_(wanted))).all())
    out = []
    for a in rows:
        primary = slugs.get(a.category_id) if a.category_id else None
        article_quotes = quotes.get(a.id, [])
        image = None
        if a.image_url:
            image = {
                "url": a.image_url,
                "alt": a.image_alt,
                "caption": a.image_caption,
                "width": a.image_width,
                "height": a.image_height,
                "credit": a.image_credit,
                "credit_source": slugs.get(a.image_credit_source_id) if a.image_credit_source_id else None,
            }
        share = None
        if a.share_title or a.share_description:
            share = {"title": a.share_title, "description": a.share_description}
        out.append(
            {
                "external_id": a.external_id or a.id,
                "slug": a.slug,
                "title": a.title,
                "kicker": a.kicker,
                "standfirst": a.standfirst,
                "body": _body(a.body or [], {row[0]: i for i, row in enumerate(article_quotes)}),
                "language": a.language,
                # Published (embargoed or expired too: the write shape brings both back); anything
                # else a draft, the state the write shape cannot say going beside it (`_state`).
                "status": "published" if a.status in PUBLISHED else "draft",
                "published_at": _time(a.published_at),
                "expires_at": _time(a.expires_at),
                "embargoed_until": _time(a.embargoed_until),
                "canonical_url": a.canonical_url,
                "category": primary,
                "categories": [s for s in categories.get(a.id, []) if s != primary],
                "tags": tags.get(a.id, []),
                "authors": authors.get(a.id, []),
                "image": image,
                "attributions": [
                    {"source": s, "role": str(role), "label": label, "url": url}
                    for s, role, label, url in attributions.get(a.id, [])
                ],
                "quotes": [
                    {
                        "external_id": ext or qid,
                        "text": text,
                        "speaker": speaker,
                        "speaker_role": role,
                        "source": source,
                        "language": lang,
                        "said_at": said.isoformat() if said else None,
                    }
                    for qid, ext, text, speaker, role, source, lang, said in article_quotes
                ],
                "comments": {"enabled": a.comments_enabled, "reason": a.comments_reason},
                "share": share,
                "corrections": notices.get(a.id, []),
                "live": {
                    "coverage_started_at": _time(a.coverage_started_at),
                    "coverage_ended_at": _time(a.coverage_ended_at),
                }
                if a.live
                else None,
            }
        )
    return out


def update_shapes(session: Session, rows: list[Any]) -> list[dict[str, Any]]:
    """The portable shape of each live blog update, from rows of (update, the key its article
    is exported under): its id kept, its article by that key, its author by slug, quote blocks
    by the index of the article's quote; full-precision times."""
    if not rows:
        return []
    updates = [row[0] for row in rows]
    quotes = _quotes(session, list({u.article_id for u in updates}))
    author_ids = {u.author_id for u in updates if u.author_id}
    authors = (
        dict(session.execute(select(col(Author.id), col(Author.slug)).where(col(Author.id).in_(author_ids))).all())
        if author_ids
        else {}
    )
    attributions = _grouped(
        session,
        (
            select(
                col(UpdateAttribution.update_id),
                col(Source.slug),
                col(UpdateAttribution.role),
                col(UpdateAttribution.label),
                col(UpdateAttribution.url),
            )
            .join(Source, col(Source.id) == UpdateAttribution.source_id)
            .where(col(UpdateAttribution.update_id).in_([u.id for u in updates]))
            .order_by(col(UpdateAttribution.update_id), col(UpdateAttribution.position), col(UpdateAttribution.id))
        ),
    )
    return [
        {
            "external_id": u.external_id or u.id,
            "article": article_key,
            "headline": u.headline,
            "body": _body(u.body or [], {q[0]: i for i, q in enumerate(quotes.get(u.article_id, []))}),
            "author": authors.get(u.author_id) if u.author_id else None,
            "attributions": [
                {"source": s, "role": str(role), "label": label, "url": url}
                for s, role, label, url in attributions.get(u.id, [])
            ],
            "published_at": _time(u.published_at),
            "key_event": u.key_event,
            "pinned": u.pinned,
            "created_at": _time(u.created_at),
            "updated_at": _time(u.updated_at),
        }
        for u, article_key in rows
    ]


T = TypeVar("T")


def _read(engine: Engine, read: Callable[[Session], T]) -> T:
    """`read` in a short read-only transaction of its own, on a session closed (its connection
    back in the pool, its snapshot let go) before the caller yields what it read."""
    with Session(engine) as session:
        if is_postgres(session):
            # One snapshot for the batch's queries: its articles' quotes and links are theirs.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
        # (SQLite: the session's transaction reads one snapshot in WAL mode, until it closes.)
        return read(session)


def _categories(session: Session) -> bytes:
    """Every category, each after its parent; siblings by slug. Menus are small: one query."""
    kind = writes.kind_of(Category)
    rows = list(session.scalars(select(Category).order_by(col(Category.slug))))
    known = {c.id for c in rows}
    children: dict[str | None, list[Category]] = defaultdict(list)
    for c in rows:
        children[c.parent_id if c.parent_id in known else None].append(c)
    stack = list(reversed(children[None]))
    out = []
    while stack:
        category = stack.pop()
        out.append(line("category", writes.document(session, kind, category)))
        stack.extend(reversed(children.pop(category.id, [])))
    return b"".join(out)


# A batch's lines and the key to read the next batch after; None when the batch was empty.
Batch = tuple[bytes, str | None]


def _slugged(session: Session, *, after: str, kind_name: str, model: type[ModelT]) -> Batch:
    kind = writes.kind_of(model)
    rows = list(
        session.scalars(
            select(model)
            .where(col(model.slug) > after, *directory.public(model))
            .order_by(col(model.slug))
            .limit(BATCH)
        )
    )
    if not rows:
        return b"", None
    return b"".join(line(kind_name, writes.document(session, kind, row)) for row in rows), rows[-1].slug


def portable_pending(row: ArticlePending, article: Article, external_id: str) -> dict[str, Any]:
    """A pending version in the export's portable form: its write shape with quotes keyed by
    external_id (their id when they have none) and quote blocks by index, the article's
    external_id as the export gives it; whether it is stale (the live article moved on since
    it was started), its times and its correction notice."""
    document = dict(row.document)
    quotes = [dict(q) for q in document.get("quotes") or []]
    index = {q["id"]: i for i, q in enumerate(quotes) if q.get("id")}
    body = []
    for stored in document.get("body") or []:
        block = dict(stored)
        if block.get("type") == "quote" and "quote_id" in block:
            position = index.get(block.pop("quote_id"))
            if position is None:
                continue  # as the article's own body: a dangling quote block could not be imported
            block["quote"] = position
        body.append(block)
    for quote in quotes:
        quote["external_id"] = quote.get("external_id") or quote.pop("id", None)
        quote.pop("id", None)
    return {
        "article": document | {"body": body, "quotes": quotes, "external_id": external_id},
        "stale": row.based_on_version != article.version,
        "created_at": _time(row.created_at),
        "updated_at": _time(row.updated_at),
        "publish_at": _time(row.publish_at),
        "correction": row.correction,
    }


def _shown(full: bool) -> ColumnElement[bool]:
    """The articles an export holds: public ones; `full`, every one not deleted."""
    return col(Article.deleted_at).is_(None) if full else queries.public()  # type: ignore[return-value]


def state(article: Article) -> dict[str, Any] | None:
    """What a line's write shape cannot say of the article's status (scheduled, with the time it
    goes public; unpublished), for an import to make it again; None when the shape says it all."""
    if article.status not in STATES:
        return None
    return {"status": str(article.status), "publish_at": _time(article.publish_at)}


def _articles(session: Session, *, after: str, full: bool = False) -> Batch:
    """A batch of public articles; `full` (an export for a key that reads unpublished content):
    every article not deleted, each with its pending version, if it has one, and its `state`."""
    rows = list(
        session.scalars(
            select(Article).where(_shown(full), col(Article.id) > after).order_by(col(Article.id)).limit(BATCH)
        )
    )
    if not rows:
        return b"", None
    staged = (
        {
            p.article_id: p
            for p in session.scalars(
                select(ArticlePending).where(col(ArticlePending.article_id).in_([a.id for a in rows]))
            )
        }
        if full
        else {}
    )
    out = []
    for a, shape in zip(rows, article_shapes(session, rows), strict=True):
        data = shape | {"created_at": _time(a.created_at), "updated_at": _time(a.updated_at)}
        if a.id in staged:
            data["pending"] = portable_pending(staged[a.id], a, shape["external_id"])
        if full and (lifecycle := state(a)) is not None:
            data["state"] = lifecycle
        out.append(line("article", data))
    return b"".join(out), rows[-1].id


def _translation_groups(session: Session, *, after: str, full: bool = False) -> Batch:
    """Translation groups, after every article: one line each, `{"articles": [external ids]}`,
    its exported members (two at least), the original first, then the oldest. Keyed by group."""
    groups: list[str] = list(
        session.scalars(
            select(col(Article.translation_group))
            .where(col(Article.translation_group) > after, _shown(full))
            .group_by(col(Article.translation_group))
            .order_by(col(Article.translation_group))
            .limit(BATCH)
        ).all()  # type: ignore[arg-type]  # no null: `>` keeps them out
    )
    if not groups:
        return b"", None
    members: dict[str, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(col(Article.translation_group), col(Article.id), col(Article.external_id))
        .where(col(Article.translation_group).in_(groups), _shown(full))
        .order_by(col(Article.translation_group), col(Article.created_at), col(Article.id))
    ):
        members[row[0]].append(row)
    out = []
    for group in groups:
        found = sorted(members[group], key=lambda row: row[1] != group)  # the original first, if exported
        if len(found) >= 2:
            out.append(line("translation_group", {"articles": [external_id or key for _, key, external_id in found]}))
    return b"".join(out), groups[-1]


def _updates(session: Session, *, after: str, full: bool = False) -> Batch:
    """Live blog updates of exported articles, by id: after every article, which they name."""
    rows = session.execute(
        select(ArticleUpdate, func.coalesce(col(Article.external_id), col(Article.id)))
        .join(Article, col(Article.id) == col(ArticleUpdate.article_id))
        .where(_shown(full), col(ArticleUpdate.id) > after)
        .order_by(col(ArticleUpdate.id))
        .limit(BATCH)
    ).all()
    if not rows:
        return b"", None
    return b"".join(line("update", shape) for shape in update_shapes(session, list(rows))), rows[-1][0].id


def _batches(engine: Engine, read: Callable[..., Batch]) -> Iterator[bytes]:
    """Keyset batches of one kind, each read on its own session (`_read`), until one is empty."""
    after: str | None = ""
    while after is not None:
        chunk, after = _read(engine, functools.partial(read, after=after))
        if chunk:
            yield chunk


def _chunks(engine: Engine, full: bool) -> Iterator[bytes]:
    yield _read(engine, _categories)
    for kind_name, model in SLUGGED:
        yield from _batches(engine, functools.partial(_slugged, kind_name=kind_name, model=model))
    for read in (_articles, _translation_groups, _updates):
        yield from _batches(engine, functools.partial(read, full=full))


class Export(NamedTuple):
    cursor: str  # the change feed's cursor taken before anything was read
    chunks: Iterator[bytes]  # NDJSON lines, a batch a chunk


def begin(engine: Engine | None = None, *, full: bool = False) -> Export:
    """The export of what `engine` (the read engine by default) holds: the feed's cursor, then
    the chunks, the first of them already read, so that a database that does not answer (no
    free connection within the pool's timeout) fails the request before its first byte.
    `full` (never for the public): every article not deleted (drafts, scheduled, embargoed,
    expired), each with its pending version and its `state`, their updates and groups."""
    engine = engine or get_read_engine()
    cursor = _read(engine, feed.settled_end)
    chunks = _chunks(engine, full)
    first = next(chunks)
    return Export(cursor, _pieces(itertools.chain([first], chunks)))


PIECE = 65_536


def _pieces(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Each batch in pieces: the server waits for a slow client to take one before it hands
    over the next, so such a client holds one batch's bytes (and the piece being sent), not the
    next batch read ahead as well."""
    for chunk in chunks:
        for start in range(0, len(chunk), PIECE):
            yield chunk[start : start + PIECE]
