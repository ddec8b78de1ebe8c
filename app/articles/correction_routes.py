"""An article's correction notices: appending one (If-Match), listing them, reading one."""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from app.articles import corrections
from app.articles.routes import OPTIONAL_KEY, OPTIONAL_KEY_RESPONSES
from app.articles.schemas import CorrectionIn, CorrectionList, CorrectionRead
from app.articles.write_routes import REQUIRED_IF_MATCH
from app.http import etags
from app.http.conditional import IfMatch
from app.http.openapi import problem
from app.http.responses import JSONBytes
from app.http.routing import ArticleRoute, ReadSessionDep, SessionDep
from app.keys.dependencies import Reader, Writer, sees_embargoed, sees_everything

router = APIRouter(prefix="/articles", tags=["articles"], route_class=ArticleRoute)

NoticeId = Annotated[str, Path(max_length=26, description="The notice's id.")]
GONE: dict[int | str, dict[str, Any]] = {
    410: problem("The article has expired (its `expires_at` has passed): it is no longer public.")
}
APPEND_ONLY = "Notices are append-only: none is edited or removed; a notice is withdrawn only by another notice."


def _private(response: Response, reader: object) -> Response:
    """What a key opened is for that caller alone: never cached, never shared."""
    if reader is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/{article_id}/corrections",
    operation_id="create_article_correction",
    status_code=201,
    response_model=CorrectionRead,
    summary="Append a correction, clarification or update notice (If-Match)",
    description="A new version of the article: its `updated_at` moves to the notice's time, the change "
    "feed records an `upsert` and `article.corrected` is sent. The answer is the notice, with its "
    "`Location` and the article's new `ETag`. " + APPEND_ONLY,
    responses=REQUIRED_IF_MATCH,
)
def create_correction(
    article_id: str, data: CorrectionIn, session: SessionDep, key: Writer, if_match: IfMatch = None
) -> JSONBytes:
    article, notice = corrections.add(session, article_id, data, if_match=if_match, key=key)
    return JSONBytes(
        notice,
        status_code=201,
        headers={
            "ETag": etags.of_version(article.version),
            "Location": f"/v1/articles/{article.id}/corrections/{notice['id']}",
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/{article_id}/corrections",
    operation_id="list_article_corrections",
    response_model=CorrectionList,
    summary="An article's correction notices, oldest first",
    description=OPTIONAL_KEY + " " + APPEND_ONLY,
    responses={**OPTIONAL_KEY_RESPONSES, **GONE},
)
def list_corrections(article_id: str, session: ReadSessionDep, reader: Reader) -> Response:
    items = corrections.list_for(session, article_id, private=sees_everything(reader), embargoed=sees_embargoed(reader))
    body = {"data": items, "meta": {"limit": len(items), "has_more": False, "next_cursor": None}}
    return _private(JSONBytes(body), reader)


@router.get(
    "/{article_id}/corrections/{correction_id}",
    operation_id="get_article_correction",
    response_model=CorrectionRead,
    summary="One correction notice of an article",
    description=OPTIONAL_KEY,
    responses={**OPTIONAL_KEY_RESPONSES, **GONE},
)
def get_correction(article_id: str, correction_id: NoticeId, session: ReadSessionDep, reader: Reader) -> Response:
    notice = corrections.get(
        session, article_id, correction_id, private=sees_everything(reader), embargoed=sees_embargoed(reader)
    )
    return _private(JSONBytes(notice), reader)
