"""Writing articles: create, merge-patch, delete and restore, publish, revisions, preview tokens."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from starlette.responses import Response

from app.articles import lifecycle, previews, reads, revisions, writes
from app.articles.actions import PreviewIn, PublishIn
from app.articles.schemas import ArticleCreate, ArticleRead, PreviewToken, RevisionDetail, RevisionList
from app.http import etags
from app.http.conditional import CONDITIONAL_RESPONSES, CREATE_RESPONSES, IfMatch, written
from app.http.openapi import problem
from app.http.problems import UnsupportedMediaType
from app.http.responses import JSONBytes
from app.http.routing import ArticleRoute, PrimaryReadSessionDep, SessionDep
from app.keys.dependencies import Publisher, Writer, require_scope
from app.store.models import Article
from app.store.models.key import ApiKey, Scope

router = APIRouter(prefix="/articles", tags=["articles"], route_class=ArticleRoute)
ContentReader = Annotated[ApiKey, Depends(require_scope(Scope.content_read))]
MergePatch = Annotated[
    dict[str, Any],
    Body(
        media_type="application/merge-patch+json",
        description="JSON Merge Patch (RFC 7396) of the create body: members replace, null removes.",
    ),
]
# If-Match: required to patch and delete (428 without), optional elsewhere; stale, a 412.
_STATE = problem("The article's state forbids it (deleted, already published…), or a slug or external_id is taken.")
OPTIONAL_IF_MATCH: dict[int | str, dict[str, Any]] = {409: _STATE, 412: CONDITIONAL_RESPONSES[412]}
REQUIRED_IF_MATCH: dict[int | str, dict[str, Any]] = {**OPTIONAL_IF_MATCH, 428: CONDITIONAL_RESPONSES[428]}
PATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **REQUIRED_IF_MATCH,
    415: problem("The patch is not JSON Merge Patch (or JSON)."),
}
RevisionNumber = Annotated[int, Path(ge=1, le=2_147_483_647, description="The revision's number (its version).")]
PATCH_TYPES = ("application/merge-patch+json", "application/json")


async def patch_media_type(request: Request, _: Writer) -> None:
    """415 for a patch in another format (after the key is checked), before its body is looked at."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in PATCH_TYPES:
        raise UnsupportedMediaType(f"Send the patch as {' or '.join(PATCH_TYPES)}.")


def _written(session: SessionDep, article: Article, *, status_code: int = 200) -> Response:
    location = f"/v1/articles/{article.id}" if status_code == 201 else None
    return written(reads.represent_written(session, article), status_code=status_code, location=location)


@router.post(
    "",
    operation_id="create_article",
    status_code=201,
    response_model=ArticleRead,
    summary="Create an article (a draft unless published)",
    responses=CREATE_RESPONSES,
)
def create_article(data: ArticleCreate, session: SessionDep, key: Writer) -> Response:
    return _written(session, writes.create(session, data, key=key), status_code=201)


@router.patch(
    "/{article_id}",
    operation_id="update_article",
    response_model=ArticleRead,
    summary="Change an article (JSON Merge Patch, If-Match)",
    dependencies=[Depends(patch_media_type)],
    responses=PATCH_RESPONSES,
)
def update_article(
    article_id: str, patch: MergePatch, session: SessionDep, key: Writer, if_match: IfMatch = None
) -> Response:
    return _written(session, writes.update(session, article_id, patch, if_match=if_match, key=key))


@router.delete(
    "/{article_id}",
    operation_id="delete_article",
    status_code=204,
    summary="Delete an article (soft; If-Match)",
    responses=REQUIRED_IF_MATCH,
)
def delete_article(article_id: str, session: SessionDep, key: Writer, if_match: IfMatch = None) -> Response:
    article = lifecycle.delete(session, article_id, if_match=if_match, key=key)
    return Response(status_code=204, headers={"ETag": etags.of_version(article.version)})


@router.post(
    "/{article_id}/restore",
    operation_id="restore_article",
    response_model=ArticleRead,
    summary="Undo a delete",
    responses=OPTIONAL_IF_MATCH,
)
def restore_article(article_id: str, session: SessionDep, key: Writer, if_match: IfMatch = None) -> Response:
    return _written(session, lifecycle.restore(session, article_id, if_match=if_match, key=key))


@router.post(
    "/{article_id}/publish",
    operation_id="publish_article",
    response_model=ArticleRead,
    summary='Publish now, or schedule with {"at"}; with an expiry or under an embargo',
    responses=OPTIONAL_IF_MATCH,
)
def publish_article(
    article_id: str,
    session: SessionDep,
    key: Publisher,
    if_match: IfMatch = None,
    data: Annotated[PublishIn | None, Body()] = None,
) -> Response:
    at = data.at if data else None
    given = data.model_fields_set if data else set()
    expiry = {"expires_at": data.expires_at} if data and "expires_at" in given else None
    embargo = {"embargoed_until": data.embargoed_until} if data and "embargoed_until" in given else None
    return _written(
        session,
        lifecycle.publish(session, article_id, at=at, if_match=if_match, key=key, expiry=expiry, embargo=embargo),
    )


@router.post(
    "/{article_id}/unpublish",
    operation_id="unpublish_article",
    response_model=ArticleRead,
    summary="Take down a published article, or unschedule one",
    responses=OPTIONAL_IF_MATCH,
)
def unpublish_article(article_id: str, session: SessionDep, key: Publisher, if_match: IfMatch = None) -> Response:
    return _written(session, lifecycle.unpublish(session, article_id, if_match=if_match, key=key))


@router.get(
    "/{article_id}/revisions",
    operation_id="list_article_revisions",
    response_model=RevisionList,
    summary="An article's revisions, newest first",
)
def list_revisions(article_id: str, session: PrimaryReadSessionDep, _: ContentReader) -> JSONBytes:
    items = [revisions.represent(r) for r in revisions.list_for(session, article_id)]
    return JSONBytes(
        {"data": items, "meta": {"limit": len(items), "has_more": False, "next_cursor": None}},
        headers={"Cache-Control": "private, no-store"},
    )


@router.get(
    "/{article_id}/revisions/{number}",
    operation_id="get_article_revision",
    response_model=RevisionDetail,
    summary="One revision, with the article as it was",
)
def get_revision(
    article_id: str, number: RevisionNumber, session: PrimaryReadSessionDep, _: ContentReader
) -> JSONBytes:
    revision = revisions.get(session, article_id, number)
    return JSONBytes(revisions.represent(revision, with_snapshot=True), headers={"Cache-Control": "private, no-store"})


@router.post(
    "/{article_id}/revisions/{number}/restore",
    operation_id="restore_article_revision",
    response_model=ArticleRead,
    summary="Bring back a revision's content as a new version",
    responses=OPTIONAL_IF_MATCH,
)
def restore_revision(
    article_id: str, number: RevisionNumber, session: SessionDep, key: Writer, if_match: IfMatch = None
) -> Response:
    article = lifecycle.restore_revision(session, article_id, number, if_match=if_match, key=key)
    return _written(session, article)


@router.post(
    "/{article_id}/preview-token",
    operation_id="create_preview_token",
    response_model=PreviewToken,
    summary="A signed, expiring link that opens this article without a key",
)
def create_preview_token(
    article_id: str, session: SessionDep, _: Writer, data: Annotated[PreviewIn | None, Body()] = None
) -> JSONBytes:
    ttl = timedelta(seconds=(data or PreviewIn()).expires_in)
    return JSONBytes(previews.issue(session, article_id, ttl=ttl), headers={"Cache-Control": "no-store"})
