"""The article queries every capability shares: the list's parameters and filters, what is
public, the columns reads take, one row by id (held for a write)."""

from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from pydantic import Field, field_validator
from sqlalchemy import Column, ColumnExpressionArgument, Table, bindparam, exists, false, func, literal, or_, select
from sqlalchemy.orm import aliased, configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, manager_of_class
from sqlmodel import Session, col

from app.http.params import LangParam, ListParams, lowered
from app.http.problems import InvalidParameter
from app.http.schemas import Instant, NamedMembers
from app.store.engine import is_postgres, rows
from app.store.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleTag,
    Attribution,
    Author,
    Person,
    Quote,
    Source,
    Tag,
)
from app.store.models.common import table_of
from app.store.sql import AnySelect, Prepared
from app.taxonomy import categories

FIELDS_DESCRIPTION = (
    "Comma-separated fields of the article to return. The answer is then only those fields of "
    "ArticleRead: fields its schema requires may be absent."
)


class ArticleStatusFilter(StrEnum):
    """Which articles a keyed list shows: one status, or `all` (every one but deleted)."""

    draft = "draft"
    scheduled = "scheduled"
    published = "published"
    unpublished = "unpublished"
    expired = "expired"
    deleted = "deleted"
    all = "all"


class ArticleSort(NamedMembers):
    """A list's order: by a time, newest first with a leading `-`, or by relevance (with q)."""

    published_at_desc = "-published_at"
    published_at = "published_at"
    updated_at_desc = "-updated_at"
    updated_at = "updated_at"
    relevance = "relevance"


class ArticleListParams(ListParams, LangParam):
    """Query parameters of GET /v1/articles."""

    category: str | None = Field(None, max_length=200, description="Category slug; its subcategories too.")
    tag: str | None = Field(None, max_length=200, description="Tag slug.")
    author: str | None = Field(None, max_length=200, description="Author slug.")
    source: str | None = Field(None, max_length=200, description="Source slug (attribution or photo credit).")
    speaker: str | None = Field(None, max_length=200, description="Slug of a person quoted.")
    q: str | None = Field(None, max_length=500, description="Full-text query.")
    published_after: Instant | None = None
    published_before: Instant | None = None
    updated_since: Instant | None = None
    sort: ArticleSort | None = Field(None, description="Default -published_at; relevance with q.")
    fields: str | None = Field(None, max_length=1000, description=FIELDS_DESCRIPTION)
    include: str | None = Field(None, max_length=200, description="quotes,attributions,body,corrections")
    highlight: bool = Field(False, description="With q: add a snippet with the matched words marked.")
    fallback: str | None = Field(
        None,
        pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$",
        description="With lang: the language to fall back on. Of each translation group the list shows the member "
        "in `lang` when the reader may see one, else the one in `fallback`; an article outside any group shows "
        "when it is in either. Without it, `lang` lists that language alone. Not with q.",
    )
    status: ArticleStatusFilter | None = Field(
        None,
        description="With a content:read key: draft, scheduled, published, unpublished, expired, deleted, "
        "or all (every status but deleted). Without one, only published articles are listed.",
    )

    @field_validator("fallback")
    @classmethod
    def _lower_fallback(cls, value: str | None) -> str | None:
        return lowered(value)


def public() -> ColumnExpressionArgument[bool]:
    """Articles the public may see (the rule is `Article.is_public`'s)."""
    return Article.is_public


class Walk(NamedTuple):
    """A page read by walking one index in the list's order: the rows of `table` where `on`
    holds, joined to their articles, ordered by the table's copy of the article's
    `published_at` and its `article_id` (the article's own values: the same order, and the
    same keyset pages, as the article's columns give)."""

    table: Table
    published_at: Any
    article_id: Any
    on: list[ColumnExpressionArgument[bool]]
    skip: str  # the filter the walk applies, left out of `filters`
    target: Any  # the id of the row it is the filter's (the tag's …)


def _speaker_first(quote: Any) -> ColumnExpressionArgument[bool]:
    """The person's first quote in its article: one row per article (a scalar subquery, one
    lookup in the walk's own index for each row; PostgreSQL hashes an EXISTS under NOT)."""
    earlier = aliased(Quote)
    return (
        select(literal(1))
        .where(
            col(earlier.person_id) == col(quote.person_id),
            col(earlier.article_published_at) == col(quote.article_published_at),
            col(earlier.article_id) == col(quote.article_id),
            col(earlier.id) < col(quote.id),
        )
        .limit(1)
        .scalar_subquery()
        .is_(None)
    )


# The filters whose rows carry their article's published_at, with an index on (key, that
# copy, article_id): migration a3d5f7b9c1e2. (filter: table model, key, model the slug names,
# copy of published_at.)
WALKED: dict[str, tuple[Any, Any, Any, Any]] = {
    "tag": (ArticleTag, ArticleTag.tag_id, Tag, ArticleTag.published_at),
    "author": (ArticleAuthor, ArticleAuthor.author_id, Author, ArticleAuthor.published_at),
    "speaker": (Quote, Quote.person_id, Person, Quote.article_published_at),
}


@lru_cache(maxsize=8)
def _id_by_slug(model: Any) -> Prepared:
    """The id of `model`'s row with a slug: prepared once (a lookup before a filtered page)."""
    slug = bindparam("slug", type_=table_of(model).c.slug.type)
    return Prepared(select(col(model.id)).where(col(model.slug) == slug))


def id_by_slug(session: Session, model: Any, slug: str) -> str | None:
    found: str | None = rows(session, _id_by_slug(model), {"slug": slug}).scalar()
    return found


def bound(given: dict[str, Any] | None, name: str, value: Any, column: Any) -> Any:
    """`value` itself; with `given` (a statement prepared once), a parameter named `name`,
    its value put in `given`."""
    if given is None:
        return value
    given[name] = value
    return bindparam(name, type_=column.type)


def walk(session: Session, params: ArticleListParams, sort: str, given: dict[str, Any] | None = None) -> Walk | None:
    """The index to walk for this page, if any: with a tag, author, speaker or category (one
    without subcategories) filter and a sort by published_at, the page is one range of it,
    which stops at the page however the tag's articles are spread over the archive (a tag on
    a few thousand articles read whole and sorted was 2.4–7.8 × the unfiltered page at
    1,000,000 articles; walked, see bench/README.md). An unknown slug is left to `filters`
    (an empty list). With `given`, the walked row's id is a parameter (`bound`)."""
    if not sort.endswith("published_at"):
        return None
    for name, (_, _, named, _) in WALKED.items():
        slug = getattr(params, name)
        if slug:
            target = id_by_slug(session, named, slug)
            return None if target is None else walk_of(name, target, given)
    if params.category:
        # A section's articles are in several ranges, one article maybe in two of them: its
        # page walks articles (`filters`).
        leaf = categories.leaf_id(session, params.category)
        return None if leaf is None else walk_of("category", leaf, given)
    return None


def walk_of(name: str, target: Any, given: dict[str, Any] | None = None) -> Walk:
    """The walk of filter `name` (`WALKED`, or "category") for the row `target` (its id, or a
    bound parameter standing for it); with `given`, its id as the parameter `walked` (`bound`)."""
    if name == "category":  # migration b8f2d4a6c1e3
        link = ArticleCategory
        on = [col(ArticleCategory.category_id) == bound(given, "walked", target, ArticleCategory.category_id)]
        return Walk(table_of(link), col(link.published_at), col(link.article_id), on, name, target)
    model, key, _, copy = WALKED[name]
    on = [col(key) == bound(given, "walked", target, key), *([_speaker_first(model)] if model is Quote else [])]
    return Walk(table_of(model), col(copy), col(model.article_id), on, name, target)


def filed(category_ids: list[Any]) -> ColumnExpressionArgument[bool]:
    """Articles filed under one of these categories (ids, or bound parameters standing for them)."""
    return exists().where(
        col(ArticleCategory.article_id) == Article.id, col(ArticleCategory.category_id).in_(category_ids)
    )


def filters(
    session: Session,
    params: ArticleListParams,
    *,
    skip: str | None = None,
    subtree: list[str] | None = None,
    given: dict[str, Any] | None = None,
) -> list[ColumnExpressionArgument[bool]]:
    """The conditions of the list's filters on the article; `skip`: one a walk applies;
    `subtree`: the category's ids (`categories.descendant_ids`) when the caller read them.
    With `given`, the source, lang and dates are parameters (`bound`: named as the fields,
    their values put in `given`) of a statement app/articles/reads.py prepares once for each
    set of filters."""
    if skip is not None:
        params = params.model_copy(update={skip: None})
    conds: list[ColumnExpressionArgument[bool]] = []
    if params.category:
        ids = subtree if subtree is not None else categories.descendant_ids(session, params.category)
        if not ids:
            raise InvalidParameter("category", f"no category with slug {params.category!r}")
        conds.append(filed(ids))
    if params.tag:
        conds.append(_linked(session, ArticleTag.article_id, ArticleTag.tag_id, Tag, params.tag))
    if params.author:
        conds.append(_linked(session, ArticleAuthor.article_id, ArticleAuthor.author_id, Author, params.author))
    if params.source:
        # Looked up first: as a subquery inside the per-row one, SQLite ran it again for each
        # row walked (1 ms a page at 100,000 articles against 0.1 for the unfiltered page).
        source_id = id_by_slug(session, Source, params.source)
        if source_id is None:
            return [false()]
        source_id = bound(given, "source", source_id, Source.id)
        # A scalar subquery, not EXISTS: under OR, PostgreSQL hashes every attribution of the
        # source (tens of thousands for an agency at 1,000,000 articles: 4.6 × the unfiltered
        # page, bench/README.md) before the first row; this looks one up for each row walked.
        attributed = (
            select(literal(1))
            .where(col(Attribution.source_id) == source_id, col(Attribution.article_id) == Article.id)
            .limit(1)
            .scalar_subquery()
        )
        conds.append(attributed.is_not(None) | (col(Article.image_credit_source_id) == source_id))
    if params.speaker:
        # A quote links an article to its speaker as article_tag links it to a tag: the same
        # choice of plan (a person quoted in few articles: 236 ms of CPU a page walked on
        # SQLite at 1,000,000 articles, bench/README.md).
        conds.append(_linked(session, Quote.article_id, Quote.person_id, Person, params.speaker))
    if params.lang:
        conds.append(col(Article.language) == bound(given, "lang", params.lang, Article.language))
    if params.published_after:
        after = bound(given, "published_after", params.published_after, Article.published_at)
        conds.append(col(Article.published_at) >= after)
    if params.published_before:
        before = bound(given, "published_before", params.published_before, Article.published_at)
        conds.append(col(Article.published_at) < before)
    if params.updated_since:
        conds.append(col(Article.updated_at) >= bound(given, "updated_since", params.updated_since, Article.updated_at))
    return conds


# Where no walk serves (a speaker; a tag or author with a sort by updated_at, or beside a
# walked filter): linked to fewer articles than this, the page is read from the link's index
# (every linked article, then sorted); linked to more, the articles are walked in the page's
# order and each one's link looked up, which finds a page within about 20 × articles / links
# rows. Either way a page reads at most a few thousand rows, at any size of archive (a tag on
# 51 of 100,000 articles: 835 ms walked, 3 ms read from the link on SQLite, bench/README.md).
DRIVE_FROM_LINK_BELOW = 2_000


def _linked(session: Session, article_id: Any, key: Any, model: Any, slug: str) -> ColumnExpressionArgument[bool]:
    """Articles linked (by the link table's `article_id` and `key` columns) to the `model`
    row with `slug`: the condition that reads the fewest rows for this one."""
    target = id_by_slug(session, model, slug)
    if target is None:
        return false()
    links = session.scalar(
        select(func.count()).select_from(
            select(col(key)).where(col(key) == target).limit(DRIVE_FROM_LINK_BELOW).subquery()
        )
    )
    if links is not None and links < DRIVE_FROM_LINK_BELOW:
        return col(Article.id).in_(select(col(article_id)).where(col(key) == target))
    return exists().where(col(article_id) == Article.id, col(key) == target)


def visible(
    status: str | None, *, private: bool, embargoed: bool = False, model: Any = Article
) -> ColumnExpressionArgument[bool]:
    """Which articles a list may show: published ones (with `embargoed`, a content:embargoed
    key's caller: those under embargo too), or with a key, those of `status`. `model`: the
    article table or an alias of it (a translation looked for beside the list's own rows)."""
    if status is not None and not private:
        raise InvalidParameter("status", "listing by status needs an API key with content:read")
    if status is None and embargoed:
        return or_(model.is_public, model.is_embargoed)
    if status in (None, "published"):
        return model.is_public
    if status == "deleted":
        return col(model.deleted_at).is_not(None)
    if status == "all":
        return col(model.deleted_at).is_(None)
    return (col(model.status) == status) & col(model.deleted_at).is_(None)


@lru_cache(maxsize=2)
def columns(*, with_body: bool) -> tuple[Column[Any], ...]:
    """The article's columns, as plain rows read them (no ORM objects: reads only show them);
    the body's two, the heaviest, only when shown."""
    return tuple(c for c in table_of(Article).c if with_body or c.key not in ("body", "body_html"))


def _by_id() -> AnySelect:
    return select(*columns(with_body=True)).where(col(Article.id) == bindparam("id", type_=table_of(Article).c.id.type))


@lru_cache(maxsize=1)
def by_id() -> Prepared:
    """One article's row by id: built once and prepared (app/store/sql.py), run for every uncached
    article read and every write's new document on PostgreSQL."""
    return Prepared(_by_id())


@lru_cache(maxsize=1)
def _held_by_id() -> Prepared:
    """`by_id`, holding the row until the transaction ends (PostgreSQL)."""
    return Prepared(_by_id().with_for_update())


def hold_group(session: Session, article_id: str) -> None:
    """Before a write holds the row of an article in a translation group (PostgreSQL): the row
    of the group's original, held until the commit. Every write path that holds a member's row
    or rebuilds the others' documents (app/articles/translations.py) takes it first, so writes
    to two members queue on one row instead of each holding its member and waiting for the
    other's (PostgreSQL's deadlock, one of them rolled back: a 503). A member that moved to
    another group meanwhile is followed there. SQLite's writer holds the database already."""
    if not is_postgres(session):
        return
    group_of = select(col(Article.translation_group)).where(col(Article.id) == article_id)
    group = session.scalar(group_of)
    while group is not None:
        session.execute(select(col(Article.id)).where(col(Article.id) == group).with_for_update())
        now = session.scalar(group_of)  # READ COMMITTED: as the writer just waited for left it
        if now == group:
            return
        group = now


def held(session: Session, article_id: str) -> Article | None:
    """The article to be written, as an object of `session`, its row held until the commit on
    PostgreSQL (on SQLite, BEGIN IMMEDIATE holds the whole database already); its translation
    group's original held first (`hold_group`).

    Read with the prepared statement and made as the ORM's own load makes objects (its
    values put in place, no `__init__`: SQLModel's costs 0.2 ms, ten times the rest), then
    attached as loaded: `session.get` costs a one-field PATCH a sixth of its time, and the
    object behaves the same (its changes are flushed as an UPDATE of the columns that changed)."""
    hold_group(session, article_id)
    if session.identity_key(Article, article_id) in session.identity_map:
        return session.get(Article, article_id, with_for_update=is_postgres(session))
    found = rows(session, _held_by_id() if is_postgres(session) else by_id(), {"id": article_id}).first()
    if found is None:
        return None
    configure_mappers()  # at once when done: a process's first ORM use sets up the attributes
    article = manager_of_class(Article).new_instance()
    instance_dict(article).update(found._asdict())
    make_transient_to_detached(article)  # its attributes are now as loaded, none changed
    session.add(article)
    return article
