"""Articles: the public lists and lookups, and creation. Queries and rules live here."""

from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlmodel import Session, col

from app.articles import documents, queries, search, translations, view
from app.http.pagination import Page, after_cursor, decode_cursor, encode_cursor
from app.http.params import split_csv
from app.http.problems import Gone, InvalidParameter, NotFound
from app.kit import slugs
from app.store.engine import rows as run
from app.store.models import Article, Source
from app.store.models.common import iso, table_of, utcnow
from app.store.sql import Prepared
from app.taxonomy import categories


def _include(params: queries.ArticleListParams, fields: list[str] | None) -> set[str]:
    if "updates" in {item.strip() for item in (params.include or "").split(",")}:
        # A live blog's updates embed in one article only: a list would read every blog's.
        raise InvalidParameter(
            "include", "'updates' is for one article (GET /v1/articles/{id}?include=updates), not a list"
        )
    include = set(split_csv(params.include, field="include", allowed=view.INCLUDABLE) or [])
    return include | (set(fields or []) & view.INCLUDABLE)


def list_public(
    session: Session, params: queries.ArticleListParams, *, private: bool = False, embargoed: bool = False
) -> tuple[list[Any], Page]:
    """A page of published articles (with `private`, a key's caller: of `status`; with
    `embargoed`, those under embargo too) as asked for."""
    visible = queries.visible(params.status, private=private, embargoed=embargoed)
    if params.fallback is not None:
        if params.lang is None:
            raise InvalidParameter("fallback", "needs lang: the language it stands in for")
        if params.q is not None:
            raise InvalidParameter("fallback", "applies to lists without q (search has lang alone)")
    unpublished = params.status not in (None, "published")
    fields = split_csv(params.fields, field="fields", allowed=view.FIELDS)
    include = _include(params, fields)
    sort = params.sort or ("relevance" if params.q is not None else "-updated_at" if unpublished else "-published_at")
    if unpublished and (params.q is not None or sort.endswith("published_at")):
        # Search covers published articles only; drafts have no published_at to page by.
        raise InvalidParameter("status", "with this status, sort by updated_at and leave out q")
    if params.q is not None or sort == "relevance":
        if sort == "relevance" and params.q is None:
            raise InvalidParameter("sort", "relevance needs a q")
        return search.search_articles(session, params, sort=sort, fields=fields, include=include)

    # Items from the stored documents, for public readers: the default fields and the heavy
    # parts `include` names (`fields` naming one puts it there), or those `fields` names,
    # trimmed from them. (A key may see more of an article's translation group than its
    # document shows.)
    stored = not private and not embargoed
    rows: list[Any] | None = None
    total = None
    if stored and params.status is None and not params.count and not params.category:
        rows = _prepared_page(session, params, sort)
    # A prepared page reads the documents with the rows (`documents.beside`): one statement.
    beside = rows is not None
    if rows is None:
        rows, total, beside = _page(
            session, params, sort, stored=stored, visible=visible, private=private, embargoed=embargoed, include=include
        )
    narrow = stored
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor(sort, getattr(last, sort.lstrip("-")), last.id)  # the column's own name
    items: list[Any] | None = None
    if stored:
        # Stored bytes per item, set into the page as they are (app/cache/lists.py): no item
        # is built, and the page serialises to what building them would give.
        if beside:
            items = documents.summaries_beside(rows, len(_PAGING), fields, frozenset(include))
        else:
            items = documents.summaries(session, [row.id for row in rows], fields, frozenset(include))
    if items is None:
        if narrow:  # a document was missing (stale, not built yet): the whole rows, to build them
            rows = _whole(session, [row.id for row in rows], with_body="body" in include)
        who = translations.sight(private=private, embargoed=embargoed)
        items = view.build(session, rows, include=include, fields=fields, who=who)
    return items, Page(items=items, limit=params.limit, next_cursor=next_cursor, total=total)


def _order(sort: str) -> tuple[Any, bool]:
    """The column a list sorts by, and whether newest first."""
    return col(Article.published_at) if sort.endswith("published_at") else col(Article.updated_at), sort.startswith("-")


_PAGING = (col(Article.id), col(Article.published_at), col(Article.updated_at))  # what a page's cursor reads


def _outer_order(sort: str) -> Callable[[Any], list[Any]]:
    """`sort`'s order on a page's rows as a subquery (`documents.beside`)."""
    name = sort.lstrip("-")

    def order(page: Any) -> list[Any]:
        columns = (page.c[name], page.c.id)
        return [c.desc() for c in columns] if sort.startswith("-") else list(columns)

    return order


@lru_cache(maxsize=64)
def _plain_page(sort: str, after: bool, in_categories: int = 0) -> Prepared:
    """The ids (and sort values) of a page of the public list with no filter, in `sort`'s
    order (after a cursor's `after_value`, `after_id`), `limit` rows: prepared once, as
    SQLAlchemy would build it (app/store/sql.py; the visibility rule's now is read when it runs).
    With `in_categories`, of the articles filed under one of that many categories, the
    parameters `category0`… (a section and its subcategories, or a category by updated_at)."""
    column, descending = _order(sort)
    stmt = select(*_PAGING).where(queries.public())
    if in_categories:
        stmt = stmt.where(queries.filed([bindparam(f"category{k}") for k in range(in_categories)]))
    if after:
        value = bindparam("after_value", type_=column.type)
        row_id: Any = bindparam("after_id")  # after_cursor takes values or parameters
        stmt = stmt.where(after_cursor(column, col(Article.id), value, row_id, descending=descending))
    order = (column.desc(), col(Article.id).desc()) if descending else (column.asc(), col(Article.id).asc())
    return Prepared(documents.beside(stmt.order_by(*order).limit(bindparam("limit")), _outer_order(sort)))


# The walks whose page `_page` prepares (`_walked_page`) when it is the only filter; those of a
# tag, author or speaker are most often `_prepared_page`'s, which takes their values too.
_PREPARED_WALKS = frozenset({"category", "tag", "author"})


@lru_cache(maxsize=32)
def _walked_page(name: str, sort: str, after: bool) -> Prepared:
    """`_plain_page` for a page of one filter walked (`queries.walk`), the row it names as the
    parameter `target`: the statement the general path builds for it, prepared once."""
    walk = queries.walk_of(name, bindparam("target"))
    descending = sort.startswith("-")
    source = table_of(Article).join(walk.table, walk.article_id == col(Article.id))
    stmt = select(*_PAGING).select_from(source).where(queries.public(), *walk.on)
    if after:
        value = bindparam("after_value", type_=walk.published_at.type)
        row_id: Any = bindparam("after_id")
        stmt = stmt.where(after_cursor(walk.published_at, walk.article_id, value, row_id, descending=descending))
    order = (walk.published_at, walk.article_id)
    order_by = [c.desc() for c in order] if descending else [c.asc() for c in order]
    return Prepared(stmt.order_by(*order_by).limit(bindparam("limit")))


class _Shape(NamedTuple):
    """A list's rows: from what (the article table, or it joined to a walked link), where, in
    which order (`column` then `id_column`)."""

    source: Any
    conds: list[Any]
    column: Any
    id_column: Any
    descending: bool
    walk: queries.Walk | None
    subtree: list[str] | None  # the category's ids, when a filter (not a walk) applies it
    alone: bool  # no filter but the walk's, or with no walk the category's


def _shape(
    session: Session,
    params: queries.ArticleListParams,
    sort: str,
    visible: Any,
    given: dict[str, Any] | None = None,
    *,
    private: bool = False,
    embargoed: bool = False,
) -> _Shape:
    """What the list reads for these parameters; with `given`, its filters' values as
    parameters (queries.bound), for a statement prepared once."""
    walk = queries.walk(session, params, sort, given)
    filed = walk is None or walk.skip != "category"
    subtree = categories.descendant_ids(session, params.category) if params.category and filed else None
    conds = [
        visible,
        *queries.filters(
            session,
            params.model_copy(update={"lang": None}) if params.fallback else params,
            skip=walk.skip if walk else None,
            subtree=subtree,
            given=given,
        ),
    ]
    alone = len(conds) == 1 + (walk is None and bool(subtree)) and params.status is None and params.fallback is None
    if params.lang is not None and params.fallback is not None and params.fallback != params.lang:
        conds.append(
            translations.in_language(
                queries.bound(given, "lang", params.lang, Article.language),
                queries.bound(given, "fallback", params.fallback, Article.language),
                lambda other: queries.visible(params.status, private=private, embargoed=embargoed, model=other),
            )
        )
    elif params.fallback is not None:
        conds.append(col(Article.language) == queries.bound(given, "lang", params.lang, Article.language))
    column, descending = _order(sort)
    id_column = col(Article.id)
    source: Any = table_of(Article)
    if walk is not None:
        # One row per article (`walk.on` keeps one), in the order of the walk's index.
        conds += walk.on
        column, id_column = walk.published_at, walk.article_id
        source = source.join(walk.table, id_column == col(Article.id))
    return _Shape(source, conds, column, id_column, descending, walk, subtree, alone)


def _page(
    session: Session,
    params: queries.ArticleListParams,
    sort: str,
    *,
    stored: bool,
    visible: Any,
    private: bool,
    embargoed: bool,
    include: set[str],
) -> tuple[list[Any], int | None, bool]:
    """A page's rows (one more than its limit, to tell whether there is a next one), built for
    its parameters; its total with `count`; whether the rows hold the documents beside
    (`documents.beside`)."""
    shape = _shape(session, params, sort, visible, private=private, embargoed=embargoed)
    source, conds, column, id_column, descending, walk, subtree, _ = shape
    after = decode_cursor(params.cursor, sort, is_time=True) if params.cursor else None
    plain = {"limit": params.limit + 1} | ({"after_value": after[0], "after_id": after[1]} if after else {})
    if stored and shape.alone and walk is None:
        # No filter (`visible` is queries.public()) but a category's: the most read of lists,
        # its statement built once (`_plain_page`), reading what paging needs; the documents
        # are the items.
        filed_under = {f"category{k}": category_id for k, category_id in enumerate(subtree or ())}
        rows = list(run(session, _plain_page(sort, after is not None, len(filed_under)), plain | filed_under))
        beside = True
    elif stored and shape.alone and walk is not None and walk.skip in _PREPARED_WALKS:
        # One filter walked (a leaf category, or a tag or author with count=true), built once.
        rows = list(run(session, _walked_page(walk.skip, sort, after is not None), plain | {"target": walk.target}))
        beside = False
    else:
        # With the documents as items, the rows need only what paging reads.
        stmt = (
            select(*(_PAGING if stored else queries.columns(with_body="body" in include)))
            .select_from(source)
            .where(*conds)
        )
        if after is not None:
            stmt = stmt.where(after_cursor(column, id_column, *after, descending=descending))
        order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
        rows = list(session.execute(stmt.order_by(*order).limit(params.limit + 1)).all())
        beside = False
    total = session.scalar(select(func.count()).select_from(source).where(*conds)) if params.count else None
    return rows, total, beside


def _bound_values(session: Session, params: queries.ArticleListParams, sort: str) -> dict[str, Any] | None:
    """The values of a filtered page's parameters, named as `_shape(given=…)` names them,
    when every filter is one: at most one tag, author or speaker (walked, so by published_at),
    a source, a language and its fallback, the dates. None otherwise, or for an unknown slug
    (its page is built: `false()`)."""
    linked = [name for name in queries.WALKED if getattr(params, name)]
    if len(linked) > 1 or (linked and not sort.endswith("published_at")):
        return None
    values: dict[str, Any] = {}
    if linked:
        values["walked"] = queries.id_by_slug(session, queries.WALKED[linked[0]][2], getattr(params, linked[0]))
    if params.source:
        values["source"] = queries.id_by_slug(session, Source, params.source)
    if None in values.values():
        return None
    if params.lang and params.fallback is None:
        values["lang"] = params.lang
    for name in ("published_after", "published_before", "updated_since"):
        if (value := getattr(params, name)) is not None:
            values[name] = value
    if params.fallback is not None:  # last, as `_shape` adds its condition
        values["lang"] = params.lang
        if params.fallback != params.lang:
            values["fallback"] = params.fallback
    return values


_PREPARED: dict[tuple[Any, ...], Prepared | None] = {}  # at most one per set of filters, sort and cursor


def _prepared_page(session: Session, params: queries.ArticleListParams, sort: str) -> list[Any] | None:
    """The rows of a filtered page of stored documents by a statement prepared once for its set
    of filters, sort and cursor (app/store/sql.py), as `_plain_page` is for the unfiltered one:
    building the statement and compiling it cost a filtered page more than its reads
    (bench/README.md, "Lists on the event loop, filtered pages prepared"). None when not every filter is a parameter."""
    values = _bound_values(session, params, sort)
    if values is None:
        return None
    after = decode_cursor(params.cursor, sort, is_time=True) if params.cursor else None
    walked = tuple(name for name in queries.WALKED if getattr(params, name))
    key = (walked, tuple(values), params.fallback is not None and params.fallback == params.lang, sort, bool(after))
    if key not in _PREPARED:
        given: dict[str, Any] = {}
        source, conds, column, id_column, descending, *_ = _shape(session, params, sort, queries.public(), given)
        statement = None
        if given == values:  # the shape takes every value as a parameter, and only those
            stmt = select(*_PAGING).select_from(source).where(*conds)
            if after is not None:
                value = bindparam("after_value", type_=column.type)
                row_id: Any = bindparam("after_id")
                stmt = stmt.where(after_cursor(column, id_column, value, row_id, descending=descending))
            order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
            page = stmt.order_by(*order).limit(bindparam("limit"))
            statement = Prepared(documents.beside(page, _outer_order(sort)))
        _PREPARED[key] = statement
    statement = _PREPARED[key]
    if statement is None:
        return None
    paging = {"limit": params.limit + 1} | ({"after_value": after[0], "after_id": after[1]} if after else {})
    return list(run(session, statement, values | paging))


def _whole(session: Session, ids: list[str], *, with_body: bool) -> list[Any]:
    """The rows of these articles, in this order."""
    found = {
        row.id: row
        for row in session.execute(select(*queries.columns(with_body=with_body)).where(col(Article.id).in_(ids)))
    }
    return [found[i] for i in ids if i in found]  # one may have gone meanwhile


def get(session: Session, article_id: str, *, private: bool = False, embargoed: bool = False) -> Any:
    """An article by id, as a row with the Article's attributes; drafts and the like only when
    `private` (a key or a preview token), one under embargo when `embargoed` too."""
    article = run(session, queries.by_id(), {"id": article_id}).first()
    if article is None or not _visible(article, private, embargoed):
        _gone_if_expired(article)
        raise NotFound(f"No article with id {article_id!r}.")
    return article


def _visible(article: Any, private: bool, embargoed: bool) -> bool:
    # On a row as on an Article: the model's rules applied to it.
    return private or Article.is_public.fget(article) or (embargoed and Article.is_embargoed.fget(article))


def _gone_if_expired(article: Any) -> None:
    """410 for an article the public saw until its expiry."""
    if article is not None and view.lifecycle_status(article, utcnow()) == "expired":
        raise Gone(f"This article expired at {iso(article.expires_at)}.")


def get_by_slug(session: Session, slug: str, *, private: bool = False, embargoed: bool = False) -> Article | str:
    """The article with this slug, or the current slug when `slug` is an old one (a 301)."""
    article, moved = slugs.find(session, Article, "article", slug)
    if article is not None and _visible(article, private, embargoed):
        return article.slug if moved else article
    _gone_if_expired(article)
    raise NotFound(f"No article with slug {slug!r}.")


def represent(session: Session, article: Article, *, fields: str | None = None, who: Any = None) -> dict[str, Any]:
    """`who`: which translations the reader sees (`translations.sight`; default the public's)."""
    wanted = split_csv(fields, field="fields", allowed=view.FIELDS)
    return view.build(session, [article], fields=wanted, who=who)[0]


def represent_written(session: Session, article: Article) -> dict[str, Any]:
    """What a write answers with, just before it commits: a public article as reads will
    answer it, from the stored document built now (app/articles/documents.py); any other
    as `represent` shows it."""
    return documents.written(session, article) or represent(session, article, who=translations.sight(private=True))
