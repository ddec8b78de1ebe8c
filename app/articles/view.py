"""The one place the article's public shape is built; `fields` and `include` trim or extend it.

A page of articles costs a fixed number of queries whatever its size: one per kind of
related thing (categories, tags, authors, attributions, quotes), each for the whole page.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import ColumnElement, CompoundSelect, bindparam, literal, select, union_all
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import Session, col

from app.articles import translations
from app.settings import get_settings
from app.site import comments
from app.store.engine import rows
from app.store.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleCorrection,
    ArticleTag,
    Attribution,
    Author,
    Category,
    Person,
    Quote,
    Source,
    Tag,
)
from app.store.models.common import iso, to_utc, utcnow
from app.store.sql import AnySelect, Prepared

# Heavier parts that a list item carries only when asked with include=.
INCLUDABLE = frozenset({"body", "quotes", "attributions", "corrections"})
FIELDS = frozenset(
    {
        "id",
        "slug",
        "external_id",
        "url",
        "title",
        "kicker",
        "standfirst",
        "body",
        "body_html",
        "language",
        "status",
        "published_at",
        "scheduled_at",
        "expires_at",
        "embargoed_until",
        "created_at",
        "updated_at",
        "version",
        "category",
        "categories",
        "tags",
        "authors",
        "image",
        "attributions",
        "quotes",
        "corrections",
        "comments",
        "share",
        "word_count",
        "reading_time_minutes",
        "translations",
        "translation_of",
        "live",
    }
)


# A row of a statement, past its first column (the article it belongs to): see `_grouped`.
Values = tuple[Any, ...]
Statement = AnySelect | CompoundSelect[*tuple[Any, ...]]


class ArticleFields(Protocol):
    """What the public shape reads of an article: an `Article`, a row of its columns
    (`queries.columns`), or an article as PostgreSQL stores it (`documents.AsStored`)."""

    @property
    def id(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def canonical_url(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def kicker(self) -> str | None: ...
    @property
    def standfirst(self) -> str | None: ...
    @property
    def body(self) -> list[dict[str, Any]]: ...
    @property
    def body_html(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def publish_at(self) -> datetime | None: ...
    @property
    def deleted_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def embargoed_until(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def version(self) -> int: ...
    @property
    def category_id(self) -> str | None: ...
    @property
    def image_url(self) -> str | None: ...
    @property
    def image_alt(self) -> str | None: ...
    @property
    def image_caption(self) -> str | None: ...
    @property
    def image_width(self) -> int | None: ...
    @property
    def image_height(self) -> int | None: ...
    @property
    def image_credit(self) -> str | None: ...
    @property
    def image_credit_source_id(self) -> str | None: ...
    @property
    def share_title(self) -> str | None: ...
    @property
    def share_description(self) -> str | None: ...
    @property
    def word_count(self) -> int: ...
    @property
    def reading_time_minutes(self) -> int: ...
    @property
    def comments_enabled(self) -> bool: ...
    @property
    def comments_reason(self) -> str | None: ...
    @property
    def live(self) -> bool: ...
    @property
    def coverage_started_at(self) -> datetime | None: ...
    @property
    def coverage_ended_at(self) -> datetime | None: ...


def canonical_url(article: ArticleFields, category_slug: str | None) -> str:
    if article.canonical_url:
        return article.canonical_url
    base = get_settings().site_url.rstrip("/")
    return f"{base}/{category_slug}/{article.slug}" if category_slug else f"{base}/{article.slug}"


def _ref(slug: str, name: str) -> dict[str, str]:
    return {"slug": slug, "name": name}


# The statements are built once: building one costs more than SQLite takes to run it. Each
# comes in two forms: for a page (expanding IN lists) and for one article (= parameters,
# prepared: app/store/sql.py), the form every write and every uncached single read runs.


def _match(column: SQLCoreOperations[str | None], name: str, one: bool) -> ColumnElement[bool]:
    return column == bindparam(name) if one else column.in_(bindparam(name, expanding=True))


def _form(statement: Statement, one: bool) -> Prepared | Statement:
    return Prepared(statement) if one else statement


@lru_cache(maxsize=2)
def _refs_statement(one: bool = False) -> Prepared | Statement:
    """Categories, tags and authors of the articles, and the primary categories and photo
    credits they name, in one statement: (kind, owner, slug, name), in display order."""

    def linked(
        kind: str,
        link: type[ArticleCategory | ArticleTag | ArticleAuthor],
        target: type[Category | Tag | Author],
        fk: SQLCoreOperations[str],
    ) -> AnySelect:
        return (
            select(
                literal(kind).label("kind"),
                col(link.article_id).label("owner"),
                col(target.slug),
                col(target.name),
                col(link.position).label("position"),
            )
            .join(target, col(target.id) == fk)
            .where(_match(col(link.article_id), "ids", one))
        )

    return _form(
        union_all(
            linked("categories", ArticleCategory, Category, col(ArticleCategory.category_id)),
            linked("tags", ArticleTag, Tag, col(ArticleTag.tag_id)),
            linked("authors", ArticleAuthor, Author, col(ArticleAuthor.author_id)),
            select(literal("category"), col(Category.id), col(Category.slug), col(Category.name), literal(0)).where(
                _match(col(Category.id), "category_ids", one)
            ),
            select(literal("credit"), col(Source.id), col(Source.slug), col(Source.name), literal(0)).where(
                _match(col(Source.id), "credit_ids", one)
            ),
        ).order_by("kind", "owner", "position"),
        one,
    )


@lru_cache(maxsize=2)
def _quotes_statement(one: bool = False) -> Prepared | Statement:
    return _form(
        select(
            col(Quote.article_id),
            col(Quote.id),
            col(Quote.text),
            col(Person.slug),
            col(Person.name),
            col(Quote.speaker_role),
            col(Source.slug),
            col(Source.name),
            col(Quote.language),
            col(Quote.said_at),
            col(Quote.external_id),
        )
        .join(Person, col(Person.id) == Quote.person_id)
        .outerjoin(Source, col(Source.id) == Quote.source_id)
        .where(_match(col(Quote.article_id), "ids", one))
        .order_by(col(Quote.article_id), col(Quote.position), col(Quote.id)),
        one,
    )


@lru_cache(maxsize=2)
def _attributions_statement(one: bool = False) -> Prepared | Statement:
    return _form(
        select(
            col(Attribution.article_id),
            col(Attribution.role),
            col(Attribution.label),
            col(Attribution.url),
            col(Source.slug),
            col(Source.name),
            col(Source.kind),
        )
        .join(Source, col(Source.id) == Attribution.source_id)
        .where(_match(col(Attribution.article_id), "ids", one))
        .order_by(col(Attribution.article_id), col(Attribution.position), col(Attribution.id)),
        one,
    )


@lru_cache(maxsize=2)
def _corrections_statement(one: bool = False) -> Prepared | Statement:
    """The articles' correction notices, oldest first (app/articles/corrections.py writes them)."""
    return _form(
        select(
            col(ArticleCorrection.article_id),
            col(ArticleCorrection.id),
            col(ArticleCorrection.kind),
            col(ArticleCorrection.text),
            col(ArticleCorrection.created_at),
        )
        .where(_match(col(ArticleCorrection.article_id), "ids", one))
        .order_by(col(ArticleCorrection.article_id), col(ArticleCorrection.created_at), col(ArticleCorrection.id)),
        one,
    )


def _run(
    session: Session, statement: Callable[[bool], Prepared | Statement], params: dict[str, list[str]]
) -> Iterable[Values]:
    """`statement(one)` with `params` (lists of ids): its one-article form when every list
    holds one id at most, its page form otherwise."""
    if all(len(values) <= 1 for values in params.values()):
        return rows(session, statement(True), {name: values[0] if values else None for name, values in params.items()})
    return rows(session, statement(False), params)


def _grouped(rows: Iterable[Values]) -> dict[str, list[Values]]:
    groups: dict[str, list[Values]] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row[1:])
    return groups


def quote_rows(session: Session, ids: list[str]) -> dict[str, list[Values]]:
    """The articles' quotes as rows, by article, in order: (id, text, speaker slug, speaker
    name, role, source slug, source name, language, said_at, external_id)."""
    return _grouped(_run(session, _quotes_statement, {"ids": ids}))


def _load_quotes(session: Session, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    return {article_id: _quotes(group) for article_id, group in quote_rows(session, ids).items()}


def _quotes(group: list[Values]) -> list[dict[str, Any]]:
    return [
        {
            "id": qid,
            "text": text,
            "speaker": _ref(pslug, pname),
            "speaker_role": role,
            "source": _ref(sslug, sname) if sslug else None,
            "language": lang,
            "said_at": said.isoformat() if said else None,
        }
        for qid, text, pslug, pname, role, sslug, sname, lang, said, _external_id in group
    ]


def load_attributions(session: Session, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found = _run(session, _attributions_statement, {"ids": ids})
    return {
        article_id: [
            {"role": role, "label": label, "url": url, "source": {"slug": slug, "name": name, "kind": kind}}
            for role, label, url, slug, name, kind in group
        ]
        for article_id, group in _grouped(found).items()
    }


def correction(notice_id: str, kind: str, text: str, created_at: datetime) -> dict[str, Any]:
    """A correction notice as the API shows it."""
    return {"id": notice_id, "kind": str(kind), "text": text, "created_at": iso(created_at)}


def load_corrections(session: Session, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The articles' correction notices as the API shows them, by article, oldest first."""
    found = _run(session, _corrections_statement, {"ids": ids})
    return {article_id: [correction(*row) for row in group] for article_id, group in _grouped(found).items()}


def load_refs(
    session: Session, articles: Sequence[ArticleFields], ids: list[str]
) -> dict[str, dict[str, list[dict[str, str]]]]:
    """{kind: {owner: [ref, …]}} for the kinds of `_refs_statement`."""
    out: dict[str, dict[str, list[dict[str, str]]]] = {
        kind: defaultdict(list) for kind in ("categories", "tags", "authors", "category", "credit")
    }
    params = {
        "ids": ids,
        "category_ids": list({a.category_id for a in articles if a.category_id}),
        "credit_ids": list({a.image_credit_source_id for a in articles if a.image_credit_source_id}),
    }
    for kind, owner, slug, name, _position in _run(session, _refs_statement, params):
        out[kind][owner].append(_ref(slug, name))
    return out


@dataclass(frozen=True, slots=True)
class Related:
    """What one article shows of other tables, as its three statements read it; None for a
    part not known (to be read)."""

    refs: dict[str, dict[str, list[dict[str, str]]]] | None = None  # load_refs
    attributions: list[dict[str, Any]] | None = None  # load_attributions, this article's
    quote_rows: list[Values] | None = None  # quote_rows, this article's


def load_related(session: Session, article: Article) -> Related:
    ids = [article.id]
    return Related(
        refs=load_refs(session, [article], ids),
        attributions=load_attributions(session, ids).get(article.id, []),
        quote_rows=quote_rows(session, ids).get(article.id, []),
    )


def live(article: ArticleFields) -> dict[str, Any] | None:
    """A live blog's coverage as the article shows it; None for an ordinary article."""
    if not article.live:
        return None
    return {
        "state": "ended" if article.coverage_ended_at is not None else "live",
        "coverage_started_at": iso(article.coverage_started_at),
        "coverage_ended_at": iso(article.coverage_ended_at),
    }


def lifecycle_status(article: ArticleFields, now: datetime) -> str:
    """The status an article shows: a soft-deleted one (seen only with a key) says so, its
    status waiting under it; a published one past its expiry is expired from that moment,
    before the clock's job records it (app/articles/schedule.py)."""
    if article.deleted_at is not None:
        return "deleted"
    if article.status == "published" and article.expires_at is not None and to_utc(article.expires_at) <= now:
        return "expired"
    return str(article.status)


def build(
    session: Session,
    articles: Sequence[ArticleFields],
    *,
    include: set[str] | frozenset[str] = INCLUDABLE,
    fields: list[str] | None = None,
    related: Related | None = None,
    who: ColumnElement[bool] | None = None,
) -> list[dict[str, Any]]:
    """Public representations of `articles`, in order. `include` names the heavy parts wanted.
    `related`: for a single article, what the caller read of it in this transaction, holding
    its row and what renames wait for (`documents.share_lock`); those parts are not read again.
    `who`: which of their translations the reader sees (`translations.sight`; default the public's)."""
    if not articles:
        return []
    known = related if related is not None and len(articles) == 1 else Related()
    wanted = set(fields) if fields else FIELDS
    ids = [a.id for a in articles]

    def need(*names: str) -> bool:
        return any(name in wanted for name in names)

    with_body = "body" in include
    refs = (
        (known.refs if known.refs is not None else load_refs(session, articles, ids))
        if need("categories", "tags", "authors", "category", "url", "share", "image")
        else {}
    )
    categories, tags, authors = (refs.get(kind, {}) for kind in ("categories", "tags", "authors"))
    primary = {cid: found[0] for cid, found in refs.get("category", {}).items()}
    credit_sources = {sid: found[0] for sid, found in refs.get("credit", {}).items()}
    quotes: dict[str, list[dict[str, Any]]] = {}
    if "quotes" in include and need("quotes"):
        quotes = {ids[0]: _quotes(known.quote_rows)} if known.quote_rows is not None else _load_quotes(session, ids)
    attributions: dict[str, list[dict[str, Any]]] = {}
    if "attributions" in include and need("attributions"):
        attributions = (
            {ids[0]: known.attributions} if known.attributions is not None else load_attributions(session, ids)
        )
    notices: dict[str, list[dict[str, Any]]] = {}
    if "corrections" in include and need("corrections"):
        notices = load_corrections(session, ids)
    site_comments = comments.get_comments(session) if need("comments") else {}
    members = translations.load(session, articles, canonical_url, who) if need("translations", "translation_of") else {}

    out = []
    now = utcnow()
    for a in articles:
        category = primary.get(a.category_id) if a.category_id else None
        url = canonical_url(a, category["slug"] if category else None)
        image = None
        if a.image_url:
            image = {
                "url": a.image_url,
                "alt": a.image_alt,
                "caption": a.image_caption,
                "width": a.image_width,
                "height": a.image_height,
                "credit": a.image_credit,
                "credit_source": credit_sources.get(a.image_credit_source_id) if a.image_credit_source_id else None,
            }
        item: dict[str, Any] = {
            "id": a.id,
            "slug": a.slug,
            "external_id": a.external_id,
            "url": url,
            "title": a.title,
            "kicker": a.kicker,
            "standfirst": a.standfirst,
            "language": a.language,
            "status": lifecycle_status(a, now),
            "published_at": iso(a.published_at),
            "scheduled_at": iso(a.publish_at) if a.status == "scheduled" else None,
            "expires_at": iso(a.expires_at),
            "embargoed_until": iso(a.embargoed_until),
            "created_at": iso(a.created_at),
            "updated_at": iso(a.updated_at),
            "version": a.version,
            "category": category,
            "categories": categories.get(a.id, []),
            "tags": tags.get(a.id, []),
            "authors": authors.get(a.id, []),
            "image": image,
            "comments": comments.effective_comments(site_comments, enabled=a.comments_enabled, reason=a.comments_reason)
            if site_comments
            else None,
            "share": {
                "url": url,
                "title": a.share_title or a.title,
                "description": a.share_description or a.standfirst,
                "image": a.image_url,
            },
            "word_count": a.word_count,
            "reading_time_minutes": a.reading_time_minutes,
            "translations": members.get(a.id, []),
            "translation_of": next((m["id"] for m in members.get(a.id, []) if m["original"]), None),
            "live": live(a),
        }
        if with_body:
            item["body"] = a.body
            item["body_html"] = a.body_html
        if "quotes" in include:
            item["quotes"] = quotes.get(a.id, [])
        if "attributions" in include:
            item["attributions"] = attributions.get(a.id, [])
        if "corrections" in include:
            item["corrections"] = notices.get(a.id, [])
        if fields:
            item = {k: v for k, v in item.items() if k in wanted}
        out.append(item)
    return out
