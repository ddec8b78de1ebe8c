"""Changes staged on a published article (app/articles/pending.py): create, read (a key or a
preview token), merge-patch, compare, discard, and publish now or at a time."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from starlette.responses import Response

from app.articles import pending, previews, reads
from app.articles.pending_schemas import PendingDiff, PendingPublishIn, PendingRead
from app.articles.schemas import ArticleRead
from app.articles.write_routes import MergePatch, patch_media_type
from app.http.conditional import CONDITIONAL_RESPONSES, IfMatch, written
from app.http.openapi import problem
from app.http.problems import Forbidden, Unauthorized
from app.http.responses import JSONBytes
from app.http.routing import ArticleRoute, PrimaryReadSessionDep, SessionDep
from app.keys.dependencies import Publisher, Reader, Writer, sees_everything
from app.store.models import ArticlePending
from app.store.models.key import ApiKey

router = APIRouter(prefix="/articles", tags=["articles"], route_class=ArticleRoute)

_MISSING = problem("No such article, or it has no pending version.")
_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem("Neither a valid key nor a valid preview token was sent."),
    403: problem("The key sent has no `content:read`."),
    404: _MISSING,
}
_CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _MISSING,
    412: problem("If-Match names a pending version that is no longer current."),
}
Preview = Annotated[
    str | None,
    Query(
        max_length=2000, description="A preview token of the article (POST …/preview-token): opens its pending version."
    ),
]


def _answer(session: SessionDep | PrimaryReadSessionDep, row: ArticlePending, *, status_code: int = 200) -> Response:
    location = f"/v1/articles/{row.article_id}/pending" if status_code == 201 else None
    return written(pending.represent(session, row), status_code=status_code, location=location)


def _may_read(reader: ApiKey | None, preview: str | None, article_id: str) -> None:
    if reader is not None:
        if not sees_everything(reader):
            raise Forbidden("Reading a pending version needs a key with content:read.")
        return
    if preview is None:
        raise Unauthorized(
            "Send a key with content:read, or a preview token of this article (`preview`).",
            headers={"WWW-Authenticate": 'Bearer realm="gazette"'},
        )
    previews.check_pending(preview, article_id)


@router.post(
    "/{article_id}/pending",
    operation_id="create_pending_version",
    status_code=201,
    response_model=PendingRead,
    summary="Start changes on a published article, as a pending version",
    responses={
        404: problem("No such article."),
        409: problem("The article has a pending version already, or is not published."),
    },
)
def create_pending(article_id: str, session: SessionDep, _: Writer) -> Response:
    return _answer(session, pending.create(session, article_id), status_code=201)


@router.get(
    "/{article_id}/pending",
    operation_id="get_pending_version",
    response_model=PendingRead,
    summary="The article's pending version (a key with content:read, or a preview token)",
    responses=_READ_RESPONSES,
)
def get_pending(article_id: str, session: PrimaryReadSessionDep, reader: Reader, preview: Preview = None) -> Response:
    _may_read(reader, preview, article_id)
    response = _answer(session, pending.get(session, article_id))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.patch(
    "/{article_id}/pending",
    operation_id="update_pending_version",
    response_model=PendingRead,
    summary="Change the pending version (JSON Merge Patch, If-Match)",
    dependencies=[Depends(patch_media_type)],
    responses={
        **_CHANGE_RESPONSES,
        415: problem("The patch is not JSON Merge Patch (or JSON)."),
        428: CONDITIONAL_RESPONSES[428],
    },
)
def update_pending(
    article_id: str, patch: MergePatch, session: SessionDep, _: Writer, if_match: IfMatch = None
) -> Response:
    return _answer(session, pending.update(session, article_id, patch, if_match=if_match))


@router.get(
    "/{article_id}/pending/diff",
    operation_id="diff_pending_version",
    response_model=PendingDiff,
    summary="How the pending version differs from the live article, field by field and block by block",
    responses=_READ_RESPONSES,
)
def diff_pending(article_id: str, session: PrimaryReadSessionDep, reader: Reader, preview: Preview = None) -> JSONBytes:
    _may_read(reader, preview, article_id)
    return JSONBytes(pending.diff(session, article_id), headers={"Cache-Control": "private, no-store"})


@router.delete(
    "/{article_id}/pending",
    operation_id="discard_pending_version",
    status_code=204,
    summary="Discard the pending version",
    responses=_CHANGE_RESPONSES,
)
def discard_pending(article_id: str, session: SessionDep, _: Writer, if_match: IfMatch = None) -> Response:
    pending.discard(session, article_id, if_match=if_match)
    return Response(status_code=204)


@router.post(
    "/{article_id}/pending/publish",
    operation_id="publish_pending_version",
    response_model=ArticleRead,
    summary='Publish the pending version now, or at {"at"}',
    responses={
        200: {"description": "Published now: the article as it is now."},
        202: {
            "description": "Scheduled: the pending version, with its `publish_at`.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PendingRead"}}},
        },
        404: _MISSING,
        409: problem("The article is deleted, or the new version's slug or external_id is taken."),
        412: problem(
            "If-Match names a pending version that is no longer current, or the live article moved on since "
            "the pending version was started (`based_on_version` is not the live version)."
        ),
    },
)
def publish_pending(
    article_id: str,
    session: SessionDep,
    key: Publisher,
    if_match: IfMatch = None,
    data: Annotated[PendingPublishIn | None, Body()] = None,
) -> Response:
    data = data or PendingPublishIn()
    correction = data.correction.model_dump() if data.correction else None
    done = pending.publish(session, article_id, at=data.at, if_match=if_match, key=key, correction=correction)
    if isinstance(done, ArticlePending):
        return _answer(session, done, status_code=202)
    return written(reads.represent_written(session, done))
