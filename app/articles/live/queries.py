"""A live blog's updates as the API shows them: the list (newest first, by keyset), one
update, and what the article embeds (include=updates) and its JSON-LD shows."""

from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from app.articles import reads
from app.http.pagination import after_cursor, decode_cursor, encode_cursor
from app.http.params import ListParams
from app.http.problems import InvalidParameter, NotFound
from app.http.schemas import bounded_time
from app.settings import get_settings
from app.store.models import ArticleUpdate, ArticleUpdateRevision, Author, Source, UpdateAttribution
from app.store.models.common import iso

SORT = "-published_at"  # the one order of a blog's updates: newest first, ties by id
KEPT = 100  # key events and pinned updates an article embeds, at most


class UpdateListParams(ListParams):
    """Query parameters of GET /v1/articles/{id}/updates."""

    since: str | None = Field(
        None,
        max_length=500,
        description="Only the updates published after this: an ISO 8601 time, or `meta.since_cursor` of an "
        "earlier answer (after that update exactly, ties broken by id).",
    )
    key_event: bool | None = Field(None, description="true: only key events; false: none of them.")
    pinned: bool | None = Field(None, description="true: only pinned updates; false: none of them.")


def article(session: Session, article_id: str, *, private: bool = False, embargoed: bool = False) -> Any:
    """The live blog whose updates are asked for, as the article's own read sees it: 404 (410
    once expired) for one the caller may not see, so its updates are never more public."""
    return reads.get(session, article_id, private=private, embargoed=embargoed)


def _key(value: datetime | str, row_id: str) -> str:
    return encode_cursor(SORT, value, row_id)


def _since(token: str) -> tuple[Any, str]:
    """(published_at, id) strictly after which `since` asks: a time (every update at it is
    already known) or a cursor of this list."""
    try:
        at = datetime.fromisoformat(token.replace("Z", "+00:00"))
    except ValueError:
        try:
            value, row_id = decode_cursor(token, SORT, is_time=True)
        except InvalidParameter:
            raise InvalidParameter("since", "neither an ISO 8601 time nor a cursor of this list") from None
        return value, row_id
    try:
        at = bounded_time(at)
    except ValueError as exc:
        raise InvalidParameter("since", str(exc)) from None
    return at, "~"  # after every id at that time: ids are lower-case base32, all below "~"


def conditions(article_id: str, params: UpdateListParams) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [col(ArticleUpdate.article_id) == article_id]
    if params.key_event is not None:
        conds.append(col(ArticleUpdate.key_event) == params.key_event)
    if params.pinned is not None:
        conds.append(col(ArticleUpdate.pinned) == params.pinned)
    if params.since:
        value, row_id = _since(params.since)
        conds.append(
            after_cursor(col(ArticleUpdate.published_at), col(ArticleUpdate.id), value, row_id, descending=False)
        )
    return conds


def page(
    session: Session, blog: Any, params: UpdateListParams
) -> tuple[list[dict[str, Any]], str | None, int | None, str | None]:
    """One page of the blog's updates, newest first: the items, the next cursor, the total
    (with count) and the cursor `since` takes to ask for what comes after the newest shown."""
    conds = conditions(blog.id, params)
    stmt = select(ArticleUpdate).where(*conds)
    if params.cursor:
        value, row_id = decode_cursor(params.cursor, SORT, is_time=True)
        stmt = stmt.where(
            after_cursor(col(ArticleUpdate.published_at), col(ArticleUpdate.id), value, row_id, descending=True)
        )
    rows = list(
        session.scalars(
            stmt.order_by(col(ArticleUpdate.published_at).desc(), col(ArticleUpdate.id).desc()).limit(params.limit + 1)
        )
    )
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = _key(rows[-1].published_at, rows[-1].id) if has_more else None
    total = session.scalar(select(func.count()).select_from(ArticleUpdate).where(*conds)) if params.count else None
    newest = rows[0] if rows and not params.cursor else None
    since_cursor = _key(newest.published_at, newest.id) if newest else None
    return represent_many(session, blog, rows), next_cursor, total, since_cursor


def newest(session: Session, article_id: str, limit: int, *conds: ColumnElement[bool]) -> list[ArticleUpdate]:
    return list(
        session.scalars(
            select(ArticleUpdate)
            .where(col(ArticleUpdate.article_id) == article_id, *conds)
            .order_by(col(ArticleUpdate.published_at).desc(), col(ArticleUpdate.id).desc())
            .limit(limit)
        )
    )


def embedded(session: Session, blog: Any) -> dict[str, Any]:
    """What include=updates adds to the article: its newest updates, where the list reads on,
    its key events and its pinned updates."""
    size = get_settings().liveblog_embed_updates
    latest = newest(session, blog.id, size + 1)
    more = len(latest) > size
    latest = latest[:size]
    key_events = newest(session, blog.id, KEPT, col(ArticleUpdate.key_event).is_(True))
    pinned = newest(session, blog.id, KEPT, col(ArticleUpdate.pinned).is_(True))
    shown = represent_many(session, blog, [*latest, *key_events, *pinned])
    by_id = {item["id"]: item for item in shown}
    return {
        "latest": [by_id[u.id] for u in latest],
        "next_cursor": _key(latest[-1].published_at, latest[-1].id) if more else None,
        "key_events": [by_id[u.id] for u in key_events],
        "pinned": [by_id[u.id] for u in pinned],
    }


def get_one(session: Session, blog: Any, update_id: str) -> ArticleUpdate:
    update = session.get(ArticleUpdate, update_id)
    if update is None or update.article_id != blog.id:
        raise NotFound(f"No update {update_id!r} on article {blog.id!r}.")
    return update


def represent_many(session: Session, blog: Any, updates: list[ArticleUpdate]) -> list[dict[str, Any]]:
    """Updates of one blog (an Article or a row of its columns), in the order given."""
    author_ids = {u.author_id for u in updates if u.author_id}
    authors = (
        {
            a.id: {"slug": a.slug, "name": a.name}
            for a in session.scalars(select(Author).where(col(Author.id).in_(author_ids)))
        }
        if author_ids
        else {}
    )
    attributions = _attributions(session, [u.id for u in updates])
    of = {"id": blog.id, "slug": blog.slug, "title": blog.title, "expires_at": iso(blog.expires_at)}
    return [
        {
            "id": u.id,
            "external_id": u.external_id,
            "article": of,
            "headline": u.headline,
            "body": u.body,
            "body_html": u.body_html,
            "author": authors.get(u.author_id) if u.author_id else None,
            "attributions": attributions.get(u.id, []),
            "published_at": iso(u.published_at),
            "key_event": u.key_event,
            "pinned": u.pinned,
            "created_at": iso(u.created_at),
            "updated_at": iso(u.updated_at),
            "version": u.version,
        }
        for u in updates
    ]


def _attributions(session: Session, update_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The updates' attributions as an article's show (app/articles/view.py), by update, in
    order: one statement for all of them."""
    if not update_ids:
        return {}
    found = session.execute(
        select(
            col(UpdateAttribution.update_id),
            col(UpdateAttribution.role),
            col(UpdateAttribution.label),
            col(UpdateAttribution.url),
            col(Source.slug),
            col(Source.name),
            col(Source.kind),
        )
        .join(Source, col(Source.id) == UpdateAttribution.source_id)
        .where(col(UpdateAttribution.update_id).in_(set(update_ids)))
        .order_by(col(UpdateAttribution.update_id), col(UpdateAttribution.position), col(UpdateAttribution.id))
    ).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for update_id, role, label, url, slug, name, kind in found:
        out.setdefault(update_id, []).append(
            {"role": str(role), "label": label, "url": url, "source": {"slug": slug, "name": name, "kind": str(kind)}}
        )
    return out


def revisions(session: Session, blog: Any, update_id: str) -> list[ArticleUpdateRevision]:
    """Every revision of one of the blog's updates, newest first."""
    get_one(session, blog, update_id)
    return list(
        session.scalars(
            select(ArticleUpdateRevision)
            .where(col(ArticleUpdateRevision.update_id) == update_id)
            .order_by(col(ArticleUpdateRevision.number).desc())
        )
    )


def revision(session: Session, blog: Any, update_id: str, number: int) -> ArticleUpdateRevision:
    """Revision `number` of one of the blog's updates; 404 for none."""
    get_one(session, blog, update_id)
    found = session.scalars(
        select(ArticleUpdateRevision).where(
            col(ArticleUpdateRevision.update_id) == update_id, col(ArticleUpdateRevision.number) == number
        )
    ).first()
    if found is None:
        raise NotFound(f"Update {update_id!r} has no revision {number}.")
    return found


def represent_revision(revision: ArticleUpdateRevision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "created_at": iso(revision.created_at),
        "key_id": revision.key_id,
        "key_name": revision.key_name,
        "snapshot": revision.snapshot,
    }
