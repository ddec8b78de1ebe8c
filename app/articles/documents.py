"""Stored documents: each published article's public JSON, built in the transaction that
changes it, so that the most asked-for read, GET /v1/articles/{id}, costs one primary-key
lookup instead of building the article (app/articles/fast_path.py).

How a document stays true. Writes name what they change as surrogate keys
(app/cache/purge.py); at commit, inside the same transaction, `on_commit` reads them:
- `article:<id>` and `quote:<id>`: that article's document is rebuilt at once (on
  PostgreSQL under a row lock on the article, so two writers of one article build one
  after the other, the second from the first's committed rows). Drafts, scheduled,
  unpublished and deleted articles have none, so no read of a document can leak one.
- a person, source, category, tag or author: every document that shows it is marked
  stale, in one statement. A stale document is never served (reads build the article live)
  and the background job (`fill`) rebuilds it.
The site-wide comments switch is not in the documents: each holds the article's own policy,
and a read puts the switch over it (`read`).

On PostgreSQL, marking takes a transaction-level advisory lock alone and building (a write's
document, the background job's rebuilds) shares it, so no build reads a name that a rename has
marked but not yet committed: a build that started first commits before the marking, and one
that comes after waits for the rename's commit. On SQLite every writer holds the database's
write lock already.

A document is built from the article's representation for this version of the code and
this site URL (`fingerprint`). When either changes, the documents are marked stale at start-up
and the background job builds them again, article after article; `gazette documents rebuild`
does it at once (app/articles/refill.py, which also vouches for documents that an import
built before any server recorded a fingerprint).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    BindParameter,
    and_,
    bindparam,
    column,
    delete,
    event,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from app.articles import view
from app.cache.surrogates import derive, earliest_expiry
from app.settings import get_settings
from app.site import comments
from app.store.engine import is_postgres, rows
from app.store.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleDocument,
    ArticleTag,
    Attribution,
    Author,
    Category,
    Person,
    Quote,
    Source,
    Tag,
)
from app.store.models.common import iso, table_of, utcnow
from app.store.sql import AnySelect, Prepared

# Bump when the article's representation changes shape: every document is then rebuilt.
REPRESENTATION = 5  # 3: correction notices; 4: translations; 5: live blogs
SETTING_KEY = "documents"
BATCH = 500
FILL_PER_ROUND = 2_000  # documents the background job builds per round, at most
_LOCK = 7_215_001  # pg_advisory_xact_lock id: marking stale and filling never interleave

_COMMENTS_KEY = b'"comments":'
# session.info: articles whose documents `written` built in this transaction. Any flush after
# may change what they show, so it forgets them, and the commit builds those again.
_BUILT = "gazette.documents.built"
_SHOWN = "gazette.documents.shown"  # article id → what `still_shown` was told
_SHARING = "gazette.documents.sharing"  # this transaction holds the advisory lock


def fingerprint() -> str:
    return f"{REPRESENTATION} {get_settings().site_url.rstrip('/')}"


# -- reading -------------------------------------------------------------------------------

_COLUMNS = "d.body, d.comments, s.value, d.keys, d.newest, d.version, d.expires"  # what from_row reads
_FROM = "FROM article_document d {join}LEFT JOIN site_setting s ON s.key = 'comments' "
_READ = f"SELECT {_COLUMNS} {_FROM}WHERE {{by}} = {{p}} AND NOT d.stale"
_BY = {"id": ("", "d.article_id"), "slug": ("JOIN article a ON a.id = d.article_id ", "a.slug")}
# Many reads by id in one statement (PostgreSQL): the article id first, then what from_row reads.
READ_MANY = f"SELECT d.article_id, {_COLUMNS} {_FROM.format(join='')}WHERE d.article_id = ANY(%s) AND NOT d.stale"


def read_statement(dialect: str, by: str) -> str:
    """The one statement a read by "id" or "slug" runs, in the DB-API's parameter style."""
    join, column = _BY[by]
    return _READ.format(join=join, by=column, p="%s" if dialect == "postgresql" else "?")


@dataclass(frozen=True, slots=True)
class Stored:
    """A single-article answer from its document, with what the response cache needs of it."""

    body: bytes
    keys: frozenset[str]  # the surrogate keys of what the body shows
    newest: str | None  # the newest updated_at it shows (ISO)
    version: int
    keys_text: str = ""  # the same keys, sorted, space-separated, as stored
    expires: str | None = None  # the article's expiry (ISO): no cache keeps the answer past it


def read(cursor: Any, statement: str, value: str) -> Stored | None:
    """The article's public JSON from its document, with the site-wide comments switch
    applied; None when it has no current document (not public, stale, or not built yet)."""
    cursor.execute(statement, (value,))
    # fetchall, not fetchone: stepping to the end resets the statement, so a cursor kept
    # for the next read holds no read transaction (on SQLite, no WAL snapshot) meanwhile.
    rows = cursor.fetchall()
    return from_row(rows[0] if rows else None)


def from_row(row: Any) -> Stored | None:
    """What `read` answers, from the row its statement gave (None: no row, or a document whose
    article has expired: the route then answers, 410, from the article's own row)."""
    if row is None:
        return None
    expires = row[6]
    if expires is not None and expires <= iso(utcnow()):
        return None
    body, own, setting = bytes(row[0]), bytes(row[1]), row[2]
    if setting is not None:
        value = orjson.loads(setting) if isinstance(setting, (str, bytes)) else setting
        policy = comments.effective_comments({**comments.DEFAULT_COMMENTS, **value}, enabled=True, reason=None)
        if policy["scope"] == "site":
            # The first unescaped `"comments":` is the article's own member: inside a JSON
            # string a quote is escaped, and no embedded object has such a member.
            body = body.replace(_COMMENTS_KEY + own, _COMMENTS_KEY + orjson.dumps(policy), 1)
    return Stored(body, frozenset(row[3].split()), row[4], row[5], row[3], expires)


# A list item (no `include`, every field) is its document up to the heavy parts, which come
# last in it (view.build puts them after every other field): body, body_html, quotes,
# attributions. `"body":` cannot occur unescaped inside a string, and no member before it is
# an object with a member of that name, so its first occurrence after the last light field
# is where the summary ends.
_LAST_LIGHT = b',"reading_time_minutes":'
_FIRST_HEAVY = b',"body":'
_MANY_NAMES = ("article_id", "body", "comments", "setting", "keys", "newest", "version", "expires")


@lru_cache(maxsize=128)
def _many(n: int) -> Prepared:
    """The documents of `n` articles (a page holds at most 100), prepared once per `n`: an
    expanding IN costs SQLAlchemy's compilation on every run."""
    marks = ", ".join(f":id{k}" for k in range(n))
    sql = f"SELECT d.article_id, {_COLUMNS} {_FROM.format(join='')}WHERE d.article_id IN ({marks}) AND NOT d.stale"
    return Prepared(text(sql).columns(*(column(name) for name in _MANY_NAMES)))


_DOCUMENT = ("article_id", "body", "comments", "keys", "newest", "version", "expires", "stale")
_D = table("article_document", *(column(name) for name in _DOCUMENT)).alias("d")
_S = table("site_setting", column("key"), column("value")).alias("s")


def beside(page: AnySelect, order: Callable[[Any], list[Any]]) -> AnySelect:
    """`page` (a list's page: its articles' ids and paging columns) with each article's
    current document beside it (what `from_row` reads, after the page's own columns; NULLs
    when it has none), in `order` (given the page as a subquery): one statement where a page
    and its documents took two, a round trip and a statement's fixed cost less (PostgreSQL
    spends more on those than on either's reads)."""
    rows = page.subquery("p")
    d = _D.c
    own = and_(d["article_id"] == rows.c.id, not_(d["stale"]))
    return (
        select(*rows.c, d["body"], d["comments"], _S.c.value, d["keys"], d["newest"], d["version"], d["expires"])
        .select_from(rows.outerjoin(_D, own).outerjoin(_S, _S.c.key == literal_column("'comments'")))
        .order_by(*order(rows))
    )


def summaries_beside(
    rows: list[Any], width: int, fields: list[str] | None = None, include: frozenset[str] = frozenset()
) -> list[bytes] | None:
    """`summaries` of a page read with `beside` (`width`: how many of its own columns each row
    has first)."""
    return _items((row[width:] if row[width] is not None else None for row in rows), fields, include)


def _items(found: Iterable[Any], fields: list[str] | None, include: frozenset[str]) -> list[bytes] | None:
    """The list items of these document rows (`from_row`'s), in order; None when any has no
    current document or lacks a part `include` asks for (the caller then builds them)."""
    out = []
    for row in found:
        stored = from_row(row)
        if stored is None:
            return None
        item = listed(stored.body, include)
        if item is None:
            return None
        out.append(item)
    return _trimmed(out, fields, include)


def _trimmed(items: list[bytes], fields: list[str] | None, include: frozenset[str]) -> list[bytes]:
    if not fields:
        return items
    wanted = frozenset(fields)
    if include:  # items carrying heavy parts: too big, and too seldom asked, to remember
        return [_project(item, wanted) for item in items]
    return [project(item, wanted) for item in items]


def summary(body: bytes) -> bytes:
    """A document's list item: the article's public JSON without body, body_html, quotes,
    attributions and corrections, byte for byte what `view.build(include=set())` serialises to."""
    return body[: body.index(_FIRST_HEAVY, body.index(_LAST_LIGHT))] + b"}"


# The heavy parts after body and body_html, in the document's order (view.build's), each found
# from the end: no member of a quote, an attribution or a correction notice is named after
# any of them, and their strings hold no unescaped quote mark, so the last `,"corrections":`
# is the document's own, the last `,"attributions":` before it too, and so on. (The body is
# found from the front, as `summary` finds it; its stretch, up to the quotes, holds body_html.)
_AFTER_BODY = (b',"quotes":', b',"attributions":', b',"corrections":')


def listed(body: bytes, include: frozenset[str]) -> bytes | None:
    """A document's list item with the heavy parts `include` names (view.INCLUDABLE: "body"
    brings body and body_html), byte for byte what `view.build(include=include)` serialises
    to; None when the document does not hold them all (the caller then builds the item)."""
    if not include:
        return summary(body)
    light = body.index(_FIRST_HEAVY, body.index(_LAST_LIGHT))
    if not body.endswith(b"]}"):
        return None
    starts = []
    end = len(body) - 1
    for name in reversed(_AFTER_BODY):
        end = body.rfind(name, light, end)
        if end < 0:
            return None
        starts.append(end)
    quotes, attributions, corrections = reversed(starts)
    spans = (
        ("body", light, quotes),
        ("quotes", quotes, attributions),
        ("attributions", attributions, corrections),
        ("corrections", corrections, len(body) - 1),
    )
    return b"".join([body[:light], *(body[start:stop] for name, start, stop in spans if name in include), b"}"])


@lru_cache(maxsize=2048)
def project(item: bytes, fields: frozenset[str]) -> bytes:
    """A list item with only `fields` (`?fields=`), in the item's own order: byte for byte what
    `view.build(fields=…)` serialises to, since the item is what it builds before it trims.
    Remembered by its bytes: parsing and serialising the item again cost a page of 20 a
    tenth of its time, and the same items are asked for again and again (the newest)."""
    return _project(item, fields)


def _project(item: bytes, fields: frozenset[str]) -> bytes:
    return orjson.dumps({name: value for name, value in orjson.loads(item).items() if name in fields})


def summaries(
    session: Session, article_ids: list[str], fields: list[str] | None = None, include: frozenset[str] = frozenset()
) -> list[bytes] | None:
    """The list items of these articles, in order, from their stored documents (the site-wide
    comments switch applied), with the heavy parts `include` names (`listed`) and only
    `fields` when given (a heavy part among them is in `include`); None when any of them has
    no current one (a draft a key lists, a stale or not yet built document, an expiry just
    passed) or a document lacks a part asked for: the caller then builds them."""
    if not article_ids:
        return []
    found = {
        row[0]: row[1:]
        for row in rows(session, _many(len(article_ids)), {f"id{k}": v for k, v in enumerate(article_ids)})
    }
    return _items((found.get(article_id) for article_id in article_ids), fields, include)


# -- building --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _public() -> AnySelect:
    """The rows of the public articles among `ids`."""
    from app.articles.queries import columns, public

    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)
    return select(*columns(with_body=True)).where(col(Article.id).in_(ids), public()).order_by(col(Article.id))


def refresh(session: Session, article_ids: Iterable[str], *, skip_locked: bool = False) -> int:
    """Rebuild the documents of these articles in the caller's transaction: a public one gets
    a fresh document, any other loses its own. Returns how many were built.

    On PostgreSQL the articles' rows are locked first, in id order; with `skip_locked` (the
    background job) an article whose writer holds it is left to that writer, who rebuilds it."""
    return len(_refresh(session, article_ids, skip_locked=skip_locked))


def _refresh(session: Session, article_ids: Iterable[str], *, skip_locked: bool = False) -> dict[str, dict[str, Any]]:
    """`refresh`, answering the public shape of each article it built a document for, by id."""
    ids = sorted(set(article_ids))
    if ids:
        _lock(session, shared=True)
    built: dict[str, dict[str, Any]] = {}
    table = table_of(ArticleDocument)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        if is_postgres(session):
            chunk = list(
                session.scalars(
                    select(col(Article.id))
                    .where(col(Article.id).in_(chunk))
                    .order_by(col(Article.id))
                    .with_for_update(skip_locked=skip_locked)
                )
            )
            if not chunk:
                continue
        found = rows(session, _public(), {"ids": chunk}).all()
        if gone := set(chunk) - {row.id for row in found}:
            rows(session, delete(table).where(table.c.article_id.in_(gone)))
        if found:
            now = utcnow()
            items = view.build(session, found)
            built.update((row.id, dict(item)) for row, item in zip(found, items, strict=False))
            rows(
                session,
                _upsert(session.get_bind().dialect.name),
                [_document(row, item, now) for row, item in zip(found, items, strict=False)],
            )
    return built


@lru_cache(maxsize=2)
def _upsert(dialect: str) -> Prepared:
    table = table_of(ArticleDocument)
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(
        {c.name: bindparam(c.name, type_=c.type) for c in table.c}
    )
    return Prepared(
        stmt.on_conflict_do_update(
            index_elements=[table.c.article_id],
            set_={c.name: stmt.excluded[c.name] for c in table.c if c.name != "article_id"},
        )
    )


def written(session: Session, article: Article) -> dict[str, Any] | None:
    """For a write, just before its commit: the public shape of the article, as a read will
    answer it, from its new stored document, built now (the commit keeps it instead of
    building it again). None when the article is not public, so has no document.

    The caller wrote `article` in this transaction, so holds its row (on PostgreSQL its row
    lock, on SQLite the write lock): it is not locked again. The session's object, flushed,
    is the row as a read finds it, so the row is not read again either; only PostgreSQL's
    JSONB gives the body's members back in an order of its own, which the document shows
    as reads and rebuilds will (`AsStored`)."""
    if not article.is_public:
        _refresh(session, [article.id])  # drops the document it may have had
        return None
    session.flush()
    _lock(session, shared=True)
    row = AsStored(article) if is_postgres(session) else article
    shown = session.info.pop(_SHOWN, {}).get(article.id)
    item = view.build(session, [row], related=shown)[0]
    built = dict(item)
    rows(session, _upsert(session.get_bind().dialect.name), _document(row, item, utcnow()))
    session.info.setdefault(_BUILT, set()).add(article.id)
    return built


class AsStored:
    """An article as PostgreSQL gives it back: its body as JSONB keeps JSON, each object's
    members ordered by the length of their name, then by its bytes (and nothing else of it
    changes: numbers and strings come back as they went in)."""

    def __init__(self, article: Article) -> None:
        self._article = article
        self.body = jsonb_ordered(article.body)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._article, name)


def jsonb_ordered(value: Any) -> Any:
    """`value` with every object's members in JSONB's order (see `AsStored`)."""
    if isinstance(value, dict):
        names = sorted(value, key=lambda name: (len(name.encode()), name.encode()))
        return {name: jsonb_ordered(value[name]) for name in names}
    if isinstance(value, list):
        return [jsonb_ordered(item) for item in value]
    return value


def _document(row: Any, item: dict[str, Any], now: Any) -> dict[str, Any]:
    own = comments.effective_comments(
        comments.DEFAULT_COMMENTS, enabled=row.comments_enabled, reason=row.comments_reason
    )
    item["comments"] = own  # in its place: `read` finds it there
    keys, newest = derive(f"/v1/articles/{row.id}", [], 200, item)
    return {
        "article_id": row.id,
        "body": orjson.dumps(item),
        "comments": orjson.dumps(own),
        "keys": " ".join(sorted(keys)),
        "newest": newest,
        "version": row.version,
        # Its own expiry or a translation's it lists, whichever comes first: past it, reads
        # build the article live (without that translation) until the document is rebuilt.
        "expires": earliest_expiry(item),
        "stale": False,
        "built_at": now,
    }


# -- what a commit makes stale ---------------------------------------------------------------

# Kinds that articles show by reference: which articles show a given one.
_SHOWN_BY: dict[str, Callable[[list[str]], list[AnySelect]]] = {
    "person": lambda ids: [
        select(col(Quote.article_id))
        .join(Person, col(Person.id) == Quote.person_id)
        .where(or_(col(Person.id).in_(ids), col(Person.slug).in_(ids)))
    ],
    "source": lambda ids: [
        select(col(Attribution.article_id))
        .join(Source, col(Source.id) == Attribution.source_id)
        .where(or_(col(Source.id).in_(ids), col(Source.slug).in_(ids))),
        select(col(Quote.article_id))
        .join(Source, col(Source.id) == Quote.source_id)
        .where(or_(col(Source.id).in_(ids), col(Source.slug).in_(ids))),
        select(col(Article.id))
        .join(Source, col(Source.id) == Article.image_credit_source_id)
        .where(or_(col(Source.id).in_(ids), col(Source.slug).in_(ids))),
    ],
    "category": lambda ids: [
        select(col(ArticleCategory.article_id))
        .join(Category, col(Category.id) == ArticleCategory.category_id)
        .where(or_(col(Category.id).in_(ids), col(Category.slug).in_(ids))),
        select(col(Article.id))
        .join(Category, col(Category.id) == Article.category_id)
        .where(or_(col(Category.id).in_(ids), col(Category.slug).in_(ids))),
    ],
    "tag": lambda ids: [
        select(col(ArticleTag.article_id))
        .join(Tag, col(Tag.id) == ArticleTag.tag_id)
        .where(or_(col(Tag.id).in_(ids), col(Tag.slug).in_(ids)))
    ],
    "author": lambda ids: [
        select(col(ArticleAuthor.article_id))
        .join(Author, col(Author.id) == ArticleAuthor.author_id)
        .where(or_(col(Author.id).in_(ids), col(Author.slug).in_(ids)))
    ],
}


def on_commit(session: Session, keys: set[str]) -> None:
    """Bring the documents in step with a transaction that changed `keys` (surrogate keys),
    just before it commits."""
    if "*" in keys:
        _lock(session)
        session.execute(update(ArticleDocument).values(stale=True))
        return
    by_kind: dict[str, list[str]] = {}
    for key in keys:
        kind, _, value = key.partition(":")
        if value and value != "*":
            by_kind.setdefault(kind, []).append(value)
    shown = [stmt for kind, build in _SHOWN_BY.items() if kind in by_kind for stmt in build(by_kind[kind])]
    if shown:
        _lock(session)  # before any document's row: the order `fill` takes them in
    rebuild = set(by_kind.get("article", ()))
    if quotes := by_kind.get("quote"):
        rebuild.update(session.scalars(select(col(Quote.article_id)).where(col(Quote.id).in_(quotes))))
    built = session.info.pop(_BUILT, set())  # built by `written`, nothing flushed since
    rebuild -= built
    if rebuild:
        refresh(session, rebuild)
    if shown:
        affected = shown[0].union(*shown[1:]) if len(shown) > 1 else shown[0]
        # Documents built in this transaction, after its last flush, show what it wrote
        # already: only older ones are stale. (An import writes a batch's articles with the
        # people and tags they name, and would otherwise leave every document it built stale.)
        fresh = sorted(rebuild | built)
        session.execute(
            update(ArticleDocument)
            .where(col(ArticleDocument.article_id).in_(affected), col(ArticleDocument.article_id).not_in(fresh))
            .values(stale=True)
            .execution_options(synchronize_session=False)
        )


def forget_built(session: Session, *_: object) -> None:
    """What `written` built is out of date: something was written since."""
    session.info.pop(_BUILT, None)


def _forget_transaction(session: Session, *_: object) -> None:
    root = session.get_transaction()
    if root is not None and root.is_active:
        return  # a savepoint ended; the transaction, and its lock, go on (none is taken in one)
    session.info.pop(_SHOWN, None)
    session.info.pop(_SHARING, None)


_LISTENERS = (
    *((name, forget_built) for name in ("after_flush", "after_commit", "after_soft_rollback")),
    *((name, _forget_transaction) for name in ("after_commit", "after_soft_rollback")),
)  # however the transaction goes on or ends


def install() -> None:
    """Listen to every session's flushes and commits (called by app.wiring)."""
    for name, listener in _LISTENERS:
        if not event.contains(OrmSession, name, listener):
            event.listen(OrmSession, name, listener)


def _lock(session: Session, *, shared: bool = False) -> None:
    """Marking documents stale takes the lock alone; building them (a write, the job) shares
    it, so a build never reads a name that a rename has marked but not yet committed."""
    if is_postgres(session) and not (shared and session.info.get(_SHARING)):
        rows(session, _SHARED if shared else _ALONE, {"id": _LOCK})
        session.info[_SHARING] = True  # held, alone or shared, until the transaction ends


def share_lock(session: Session) -> None:
    """For a write that reads what its article's new document will show before building it:
    from here no rename can mark that document stale until this transaction ends, and one
    that marked already has committed (PostgreSQL; SQLite's writer holds the database)."""
    _lock(session, shared=True)


def still_shown(session: Session, article_id: str, related: view.Related) -> None:
    """What a write read of its article's links, attributions and quotes (holding its row and
    `share_lock`) and left as they were: `written` builds the document from it instead of
    reading it again. Forgotten when the transaction ends."""
    session.info.setdefault(_SHOWN, {})[article_id] = related


_ALONE = Prepared(text("SELECT pg_advisory_xact_lock(:id)"))
_SHARED = Prepared(text("SELECT pg_advisory_xact_lock_shared(:id)"))
