"""The import's bulk path: a batch of lines that each create a new article, written with one
statement per table (app/store/bulk.py) instead of the write path's thirty-odd a line.

Each line is validated and sanitised exactly as the write path does it (the importer's own
`validated_article`, and the same helpers of app/articles/writes.py and quotes.py for the
links, the image, the attributions, the quotes and the body); the rows are those the write
path would leave: the article, its links, quotes and attributions, its first revision (the
snapshot built from the validated line, `shape.write_shape` told every related field, where
the write path reads them back), the change feed's rows, the search index's entries, and
the purge keys from which the commit builds the stored documents in one `documents.refresh`.

Only what is sure to take the write path's plainest course comes here (`plan`): a new article
(its external_id, id, slug and quotes' external_ids held by nothing, nor twice in the batch)
with a slug given, naming only things that exist (by slug: nothing made from a name), not
joining a translation group, with no correction notice, no `state`, no embargo and no expiry
already past, and, when public, naming only listed people and sources; and no enabled webhook
subscription (whose deliveries render each resource one by one). Anything else, and every
batch with a line the path cannot take, goes line by line, as before.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import or_, select, text
from sqlmodel import Session, col

from app.articles import quotes as article_quotes
from app.articles import revisions, shape, writes
from app.articles.schemas import ArticleCreate
from app.cache.purge import PURGE_KEYS
from app.changes.feed import FEED_KEY
from app.http.problems import AppError
from app.search import index as search_index
from app.store import bulk
from app.store.engine import is_postgres
from app.store.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    Attribution,
    Person,
    Quote,
    SlugRedirect,
    Source,
)
from app.store.models.change import Change
from app.store.models.common import new_id, table_of, to_utc, utcnow
from app.store.models.key import ApiKey
from app.store.models.webhook import Webhook
from app.taxonomy import refs

CHUNK = 500  # values in one IN (…): within every engine's limit of bound parameters


@dataclass
class NewArticle:
    """A line that creates an article: its number, its validated write shape and times."""

    number: int
    data: ArticleCreate
    created_at: datetime | None
    updated_at: datetime | None


def _plain(data: ArticleCreate) -> bool:
    """Whether the line takes the write path's plainest course (see the module's docstring)."""
    named = [data.image.credit_source] if data.image and data.image.credit_source else []
    named += [a.source for a in data.attributions]
    named += [ref for q in data.quotes for ref in (q.speaker, q.source) if ref is not None]
    return bool(data.slug) and data.translation_of is None and all(isinstance(ref, str) for ref in named)


def _unique(values: list[str]) -> bool:
    return len(values) == len(set(values))


def _any_held(session: Session, column: Any, values: list[str], *where: Any) -> bool:
    return any(
        session.scalars(select(column).where(column.in_(values[i : i + CHUNK]), *where).limit(1)).first() is not None
        for i in range(0, len(values), CHUNK)
    )


def plan(session: Session, key: ApiKey | None, lines: list[NewArticle]) -> bool:
    """Whether the batch `lines` can be written by `write`: checked in a few statements for
    the batch. False sends it line by line, where every line finds its own outcome."""
    if not lines or not all(_plain(line.data) for line in lines):
        return False
    external_ids = [line.data.external_id or "" for line in lines]
    slugs = [line.data.slug or "" for line in lines]
    quote_ids = [q.external_id for line in lines for q in line.data.quotes if q.external_id]
    if not (_unique(external_ids) and _unique(slugs) and _unique(quote_ids)):
        return False
    try:
        for line in lines:
            if line.data.status == "published":
                writes.check_publish(key)
    except AppError:
        return False
    for start in range(0, len(lines), CHUNK):
        # `_find_article` matches an external_id, or the id of an article that has none.
        keys = external_ids[start : start + CHUNK]
        held = select(col(Article.id)).where(or_(col(Article.external_id).in_(keys), col(Article.id).in_(keys)))
        if session.scalars(held.limit(1)).first() is not None:
            return False
    if _any_held(session, col(Article.slug), slugs) or _any_held(
        session, col(SlugRedirect.slug), slugs, col(SlugRedirect.resource_type) == "article"
    ):
        return False
    if quote_ids and _any_held(session, col(Quote.external_id), quote_ids):
        return False
    return session.scalars(select(col(Webhook.id)).where(col(Webhook.enabled).is_(True)).limit(1)).first() is None


@dataclass
class _Rows:
    articles: list[dict[str, Any]]
    links: dict[Any, list[dict[str, Any]]]
    attributions: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    revisions: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    indexed: list[tuple[Article, dict[str, str]]]
    indexed_quotes: list[Any]
    purge: set[str]


class NotPlain(Exception):
    """A line turned out, once its rows were worked out, not to take the plainest course."""


class _Columns(SimpleNamespace):
    """A row as its columns, for the write path's helpers to set and read as they do a
    model's: without the ORM's instrumentation and pydantic's defaults, which cost more
    than all the rest of an article's rows (measured, bench/README.md)."""

    is_public = property(Article.__dict__["is_public"].fget)


def _defaults(model: type[Article] | type[Quote]) -> dict[str, Any]:
    """The columns of a new row of `model` as it makes them (ids and times are set anew)."""
    made = model()  # type: ignore[call-arg]
    return {c.key: getattr(made, c.key) for c in table_of(model).c}


def _article(
    session: Session, line: NewArticle, key: ApiKey | None, out: _Rows, defaults: dict[type, dict[str, Any]]
) -> None:
    """The rows of one new article, as `writes.create` makes them, added to `out`."""
    data, now = line.data, utcnow()
    article: Any = _Columns(**defaults[Article])
    article.id, article.body = new_id(), []
    article.slug, article.external_id, article.title = data.slug, data.external_id, data.title
    article.created_at = to_utc(line.created_at) if line.created_at else now
    article.updated_at = to_utc(line.updated_at) if line.updated_at else now
    if data.status == "published":
        article.status = ArticleStatus.published
        article.published_at = to_utc(data.published_at) if data.published_at else now
    writes.set_times(article, data.expires_at, data.embargoed_until)
    if article.embargoed_until is not None or article.status == ArticleStatus.expired:
        raise NotPlain  # the write path announces these (an event, a delete in the feed)
    writes.set_fields(article, data)
    article.category_id, links = writes.link_rows(session, article.id, data)
    writes.set_image(session, article, data.image)
    attributions = writes.attribution_rows(session, article.id, data.attributions)
    quotes: list[Any] = []
    said: list[article_quotes.Said] = []
    people: list[Person] = []
    for position, item in enumerate(data.quotes):
        values, speaker = article_quotes.quote_values(session, article.language, position, item)
        quote: Any = _Columns(**defaults[Quote])
        quote.id, quote.created_at, quote.updated_at = new_id(), now, now
        quote.article_id, quote.position = article.id, position
        for name, value in values.items():
            setattr(quote, name, value)
        quotes.append(quote)
        said.append(article_quotes.Said(quote.id, quote.text, speaker.name, quote.speaker_role))
        people.append(speaker)
    aliases = {item.id: q.id for item, q in zip(data.quotes, quotes, strict=True) if item.id and item.id != q.id}
    writes.set_body(article, data.body, said, aliases)
    public = article.is_public
    if public:
        # The write path lists the people and sources a public article names (`made_public`):
        # here they must be listed already, so that it would change nothing.
        named: list[Person | Source] = list(people)
        for ref in [*(q.source for q in data.quotes if q.source), *(a.source for a in data.attributions)]:
            named.append(refs.resolve(session, Source, ref, field="source"))
        if data.image and data.image.credit_source:
            named.append(refs.resolve(session, Source, data.image.credit_source, field="image.credit_source"))
        if not all(row.listed for row in named):
            raise NotPlain

    out.articles.append({c.name: getattr(article, c.key) for c in table_of(Article).c})
    for link, items in links.items():
        out.links.setdefault(link, []).extend(items)
    out.attributions.extend(attributions)
    quote_table = table_of(Quote)
    out.quotes.extend(
        {c.name: getattr(q, c.key) for c in quote_table.c if c.name != "article_published_at"} for q in quotes
    )
    out.indexed_quotes.extend(quotes)
    out.revisions.append(_revision(session, article, data, quotes, key))
    if not public:
        return
    out.indexed.append((article, {q.id: q.text for q in quotes}))
    out.changes.append(_change("article", article.id))
    out.changes.extend(_change("quote", q.id) for q in quotes)
    out.purge.update({f"article:{article.id}", *writes.article_purge_keys(article)})
    out.purge.update(f"quote:{q.id}" for q in quotes)
    out.purge.update({"quotes", FEED_KEY})


def _change(resource_type: str, resource_id: str) -> dict[str, Any]:
    """A change-feed row as `feed.record` writes a new public resource's (its first version;
    PostgreSQL's default gives it the transaction's id, as the write path's does for a
    resource that has no earlier change)."""
    return {
        "resource_type": resource_type,
        "resource_id": resource_id,
        "op": "upsert",
        "version": 1,
        "at": utcnow(),
        "reason": None,
        "due_at": None,
        "article_id": None,
    }


def _distinct(slugs: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(slugs))


def _revision(
    session: Session, article: Any, data: ArticleCreate, quotes: list[Any], key: ApiKey | None
) -> dict[str, Any]:
    """The article's first revision, its snapshot the write shape built from the validated
    line: what `shape.write_shape` reads back from the rows just written."""
    primary = data.category
    image = None
    if article.image_url and data.image is not None:
        image = {
            "url": article.image_url,
            "alt": article.image_alt,
            "caption": article.image_caption,
            "width": article.image_width,
            "height": article.image_height,
            "credit": article.image_credit,
            "credit_source": data.image.credit_source if article.image_credit_source_id else None,
        }
    known = {
        "category": primary,
        "categories": [s for s in _distinct([*([primary] if primary else []), *data.categories]) if s != primary],
        "tags": _distinct(data.tags),
        "authors": _distinct(data.authors),
        "image": image,
        "attributions": [
            {"source": a.source, "role": str(a.role), "label": a.label, "url": a.url} for a in data.attributions
        ],
        "quotes": [
            {
                "id": q.id,
                "text": q.text,
                "speaker": item.speaker,
                "speaker_role": q.speaker_role,
                "source": item.source,
                "language": q.language,
                "said_at": q.said_at.isoformat() if q.said_at else None,
                "external_id": q.external_id,
            }
            for q, item in zip(quotes, data.quotes, strict=True)
        ],
    }
    return {
        "article_id": article.id,
        "number": article.version,
        "version": article.version,
        "created_at": article.updated_at,
        "key_id": key.id if key else None,
        "key_name": key.name if key else None,
        "status": revisions.lifecycle_status(article),
        "snapshot": shape.write_shape(session, article, known),
    }


def rows_of(session: Session, key: ApiKey | None, lines: list[NewArticle]) -> _Rows | None:
    """The rows of the batch's new articles, worked out without writing anything; None when
    a line turns out not to be plain after all (the caller then takes the batch line by line)."""
    out = _Rows([], {}, [], [], [], [], [], [], set())
    defaults: dict[type, dict[str, Any]] = {Article: _defaults(Article), Quote: _defaults(Quote)}
    try:
        for line in lines:
            _article(session, line, key, out, defaults)
    except (NotPlain, AppError):
        return None
    return out


def write(session: Session, out: _Rows) -> None:
    """Write the rows, a statement per table, in the session's transaction, and name what the
    commit purges (and so the stored documents it builds, app/articles/documents.on_commit)."""
    session.flush()
    connection = session.connection()
    bulk.write(connection, table_of(Article), out.articles)
    for link, items in out.links.items():
        bulk.write(connection, table_of(link), items)
    bulk.write(connection, table_of(Attribution), out.attributions)
    bulk.write(connection, table_of(Quote), out.quotes)
    bulk.write(connection, table_of(ArticleRevision), out.revisions)
    bulk.write(connection, table_of(Change), out.changes)
    search_index.index_quotes(session, out.indexed_quotes)
    search_index.index_articles(session, out.indexed)
    session.info.setdefault(PURGE_KEYS, set()).update(out.purge)


# The tables `write` fills, whose statistics the planner needs as they grow.
WRITTEN = (
    "article",
    "article_category",
    "article_tag",
    "article_author",
    "attribution",
    "quote",
    "article_revision",
    "change",
    "article_search",
    "quote_search",
    "article_document",
)


class Statistics:
    """Keeps PostgreSQL's planner statistics abreast of a bulk import, by `ANALYZE` of the
    tables it fills each time it has doubled their articles.

    Autovacuum analyses a table only once its changes reach a share of it, and a backend
    keeps the plans it made for the checks of foreign keys: an import into an empty database
    planned the check of each search entry's quote while `quote` was empty, as a sequential
    scan, and kept it, so that every entry read the whole table (measured: 498 pages a quote
    at 20,000 articles, three quarters of the server's time; bench/README.md). An `ANALYZE`
    makes the backend plan again, from the table as it is. SQLite plans each statement
    anew and checks a foreign key through the parent's primary key: nothing to do there.
    """

    FIRST = 1000  # articles held: the first ANALYZE of an import into an empty database

    def __init__(self, session: Session) -> None:
        self.on = is_postgres(session)
        self.held: int | None = None  # articles, as the planner last counted them, and since
        self.due = self.FIRST

    def grew(self, session: Session, articles: int) -> None:
        """`articles` more were written and committed: ANALYZE once the archive has doubled
        since the planner last counted it. Several importers side by side (app/transfer/
        parallel.py) each count their own articles on top of the planner's count, so the
        archive may have grown by as many times before one of them sees it doubled."""
        if not self.on or not articles:
            return
        if self.held is None:
            self.held = self._planned(session)
            self.due = max(self.FIRST, 2 * self.held)
        self.held += articles
        if self.held < self.due:
            return
        self._analyze(session)
        self.held = max(self.held, self._planned(session))
        self.due = 2 * self.held

    def settle(self, session: Session, written: int) -> None:
        """At the end of an import that created `written` articles: ANALYZE once more, if
        they were FIRST or more, so that the planner counts the last of them too (after the
        last doubling, up to half the archive) without waiting for autovacuum."""
        if self.on and written >= self.FIRST:
            self._analyze(session)

    @staticmethod
    def _analyze(session: Session) -> None:
        for table in WRITTEN:
            session.execute(text(f"ANALYZE {bulk.quoted(table)}"))
        session.commit()

    @staticmethod
    def _planned(session: Session) -> int:
        """The articles the planner counts (-1, none, for a table never analysed)."""
        counted = session.execute(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('article')"))
        held = max(int(counted.scalar_one() or 0), 0)
        session.commit()
        return held
