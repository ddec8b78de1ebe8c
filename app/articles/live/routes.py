"""A live blog's updates: public reads (newest first, `since`), and create, merge-patch and
delete with a key, under /v1/articles/{article_id}/updates."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from app.articles.live import queries, writes
from app.articles.live.queries import UpdateListParams
from app.articles.routes import OPTIONAL_KEY, OPTIONAL_KEY_RESPONSES
from app.articles.schemas import UpdateCreate, UpdateList, UpdateRead, UpdateRevision, UpdateRevisionList
from app.articles.write_routes import (
    OPTIONAL_IF_MATCH,
    PATCH_RESPONSES,
    REQUIRED_IF_MATCH,
    ContentReader,
    MergePatch,
    RevisionNumber,
    patch_media_type,
)
from app.http import etags
from app.http.conditional import CREATE_RESPONSES, IfMatch, written
from app.http.openapi import problem
from app.http.responses import JSONBytes
from app.http.routing import ArticleRoute, PrimaryReadSessionDep, ReadSessionDep, SessionDep
from app.http.urls import public
from app.keys.dependencies import Reader, Writer, sees_embargoed, sees_everything
from app.store.models import Article, ArticleUpdate

router = APIRouter(prefix="/articles/{article_id}/updates", tags=["live blogs"], route_class=ArticleRoute)

# The blog's own visibility decides: a 404 (410 once it expired) for an update of a blog the caller may not see.
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **OPTIONAL_KEY_RESPONSES,
    404: problem("No such article (or not one the caller may see), or no such update on it."),
    410: problem("The live blog has expired: its updates left the public with it."),
}
NOT_LIVE: dict[int | str, dict[str, Any]] = {
    409: problem("The article is not a live blog (`live` is null): make it one first.")
}


def _private(response: Response, reader: Any, version: int | None = None) -> Response:
    """What a key opened is for that caller alone: never cached, never shared."""
    if reader:
        response.headers["Cache-Control"] = "private, no-store"
        if version is not None:
            response.headers["ETag"] = etags.of_version(version)
    return response


def _blog(session: ReadSessionDep, article_id: str, reader: Any) -> Any:
    return queries.article(session, article_id, private=sees_everything(reader), embargoed=sees_embargoed(reader))


def _written(session: SessionDep, blog: Article, update: ArticleUpdate, *, created: bool = False) -> Response:
    body = queries.represent_many(session, blog, [update])[0]
    location = f"/v1/articles/{blog.id}/updates/{update.id}" if created else None
    return written(body, status_code=201 if created else 200, location=location)


@router.get(
    "",
    operation_id="list_article_updates",
    response_model=UpdateList,
    summary="A live blog's updates, newest first",
    description=OPTIONAL_KEY + " Ties on `published_at` are broken by id: the order is the same at every call.",
    responses=READ_RESPONSES,
)
def list_updates(
    article_id: str,
    request: Request,
    params: Annotated[UpdateListParams, Query()],
    session: ReadSessionDep,
    reader: Reader,
) -> Response:
    blog = _blog(session, article_id, reader)
    items, next_cursor, total, since_cursor = queries.page(session, blog, params)
    meta: dict[str, Any] = {"limit": params.limit, "has_more": next_cursor is not None, "next_cursor": next_cursor}
    if total is not None:
        meta["total"] = total
    meta["since_cursor"] = since_cursor
    headers = {}
    if next_cursor:
        headers["Link"] = f'<{public(request.url).include_query_params(cursor=next_cursor)}>; rel="next"'
    return _private(JSONBytes({"data": items, "meta": meta}, headers=headers), reader)


@router.get(
    "/{update_id}",
    operation_id="get_article_update",
    response_model=UpdateRead,
    summary="One update of a live blog",
    description=OPTIONAL_KEY,
    responses=READ_RESPONSES,
)
def get_update(article_id: str, update_id: str, session: ReadSessionDep, reader: Reader) -> Response:
    blog = _blog(session, article_id, reader)
    update = queries.get_one(session, blog, update_id)
    return _private(JSONBytes(queries.represent_many(session, blog, [update])[0]), reader, update.version)


@router.post(
    "",
    operation_id="create_article_update",
    status_code=201,
    response_model=UpdateRead,
    summary="Add an update to a live blog",
    responses={**CREATE_RESPONSES, **NOT_LIVE, 404: problem("No such article.")},
)
def create_update(article_id: str, data: UpdateCreate, session: SessionDep, key: Writer) -> Response:
    blog, update = writes.create(session, article_id, data, key=key)
    return _written(session, blog, update, created=True)


@router.patch(
    "/{update_id}",
    operation_id="update_article_update",
    response_model=UpdateRead,
    summary="Change an update (JSON Merge Patch, If-Match)",
    dependencies=[Depends(patch_media_type)],
    responses={**PATCH_RESPONSES, 404: problem("No such article, or no such update on it.")},
)
def update_update(
    article_id: str, update_id: str, patch: MergePatch, session: SessionDep, key: Writer, if_match: IfMatch = None
) -> Response:
    blog, update = writes.update(session, article_id, update_id, patch, if_match=if_match, key=key)
    return _written(session, blog, update)


@router.delete(
    "/{update_id}",
    operation_id="delete_article_update",
    status_code=204,
    summary="Delete an update (If-Match)",
    responses={**REQUIRED_IF_MATCH, 404: problem("No such article, or no such update on it.")},
)
def delete_update(
    article_id: str, update_id: str, session: SessionDep, _: Writer, if_match: IfMatch = None
) -> Response:
    writes.remove(session, article_id, update_id, if_match=if_match)
    return Response(status_code=204)


@router.get(
    "/{update_id}/revisions",
    operation_id="list_article_update_revisions",
    response_model=UpdateRevisionList,
    summary="An update's revisions, newest first, each with the key that wrote it",
    responses={404: problem("No such article, or no such update on it.")},
)
def list_update_revisions(
    article_id: str, update_id: str, session: PrimaryReadSessionDep, _: ContentReader
) -> JSONBytes:
    blog = queries.article(session, article_id, private=True)
    items = [queries.represent_revision(r) for r in queries.revisions(session, blog, update_id)]
    return JSONBytes(
        {"data": items, "meta": {"limit": len(items), "has_more": False, "next_cursor": None}},
        headers={"Cache-Control": "private, no-store"},
    )


@router.get(
    "/{update_id}/revisions/{number}",
    operation_id="get_article_update_revision",
    response_model=UpdateRevision,
    summary="One revision of an update, with the update as it was",
    responses={404: problem("No such article, no such update on it, or no such revision of it.")},
)
def get_update_revision(
    article_id: str, update_id: str, number: RevisionNumber, session: PrimaryReadSessionDep, _: ContentReader
) -> JSONBytes:
    blog = queries.article(session, article_id, private=True)
    revision = queries.revision(session, blog, update_id, number)
    return JSONBytes(queries.represent_revision(revision), headers={"Cache-Control": "private, no-store"})


@router.post(
    "/{update_id}/revisions/{number}/restore",
    operation_id="restore_article_update_revision",
    response_model=UpdateRead,
    summary="Bring back a revision's content as the update's new version",
    description="Its headline, body, author and flags; its `published_at` stays. If-Match is optional.",
    responses={
        **OPTIONAL_IF_MATCH,
        404: problem("No such article, no such update on it, or no such revision of it."),
        422: problem("The revision shows a quote (or an author) the blog no longer has; `errors` names it."),
    },
)
def restore_update_revision(
    article_id: str, update_id: str, number: RevisionNumber, session: SessionDep, key: Writer, if_match: IfMatch = None
) -> Response:
    blog, update = writes.restore(session, article_id, update_id, number, if_match=if_match, key=key)
    return _written(session, blog, update)
