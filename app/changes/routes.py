"""The change feed: public, no key, read after a stored cursor; as JSON pages, or as a stream
of server-sent events (Accept: text/event-stream)."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.changes import feed, stream
from app.changes.feed import ChangeParams
from app.changes.schemas import ChangeList
from app.http.openapi import ref
from app.http.responses import EVENT_STREAM, EventStream, JSONBytes, wants_events
from app.http.routing import ReadSessionDep, Route
from app.http.urls import public

router = APIRouter(prefix="/changes", tags=["changes"], route_class=Route)

STREAM_DESCRIPTION = (
    "With `Accept: text/event-stream`: server-sent events, one per change, for as long as the "
    "client stays. Each event's `id` is the change's cursor and its `data` the change as `data[]` "
    "of the JSON feed gives it (`Change`); a comment line (`: heartbeat`) comes when nothing "
    "changed for a while. Send `Last-Event-ID` (or `since`) to read on without a gap or a repeat, "
    "on any node. `types` filters as it does for JSON pages; `limit` is not used."
)
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of the feed; or, asked for as `text/event-stream`, the feed as it happens.",
        "content": {
            "application/json": {"schema": ref("ChangeList")},
            EVENT_STREAM: {"schema": {"type": "string", "description": STREAM_DESCRIPTION}},
        },
    },
    503: {
        "description": "Asked for as a stream: this node holds as many streams as it may, or is stopping.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    },
}


@router.get(
    "",
    operation_id="list_changes",
    response_model=ChangeList,
    responses=RESPONSES,
    summary="Every change to public content, in commit order, exactly once",
)
async def list_changes(
    request: Request,
    params: Annotated[ChangeParams, Query()],
    session: ReadSessionDep,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=200,
            description="A stream's resumption point: the `id` of the last event received (what "
            "EventSource sends when it reconnects); it takes precedence over `since`. JSON pages ignore it.",
        ),
    ] = None,
) -> Response:
    if wants_events(request.headers.get("accept")):
        types, after = stream.start_after(params, last_event_id)
        hub: stream.Hub = request.app.state.change_hub
        listener = await hub.join()
        return EventStream(hub.events(listener, types, after), ended=lambda: hub.leave(listener))
    items, meta, settled = await run_in_threadpool(feed.list_changes, session, params)
    headers = {"Surrogate-Key": feed.FEED_KEY, "Vary": "Accept"}
    if not settled:  # changes wait behind a running transaction: ask again, uncached
        headers["Cache-Control"] = "no-store"
    if meta["has_more"]:
        headers["Link"] = f'<{public(request.url).include_query_params(since=meta["next_cursor"])}>; rel="next"'
    return JSONBytes({"data": items, "meta": meta}, headers=headers)
