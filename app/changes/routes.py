"""The change feed: public, no key, read after a stored cursor."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.changes import feed
from app.changes.feed import ChangeParams
from app.changes.schemas import ChangeList
from app.http.responses import JSONBytes
from app.http.routing import ReadSessionDep, Route
from app.http.urls import public

router = APIRouter(prefix="/changes", tags=["changes"], route_class=Route)


@router.get(
    "",
    operation_id="list_changes",
    response_model=ChangeList,
    summary="Every change to public content, in commit order, exactly once",
)
def list_changes(request: Request, params: Annotated[ChangeParams, Query()], session: ReadSessionDep) -> JSONBytes:
    items, meta, settled = feed.list_changes(session, params)
    headers = {"Surrogate-Key": feed.FEED_KEY}
    if not settled:  # changes wait behind a running transaction: ask again, uncached
        headers["Cache-Control"] = "no-store"
    if meta["has_more"]:
        headers["Link"] = f'<{public(request.url).include_query_params(since=meta["next_cursor"])}>; rel="next"'
    return JSONBytes({"data": items, "meta": meta}, headers=headers)
