"""Public feeds: RSS 2.0, Atom and JSON Feed 1.1 of the latest published articles."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.cache.middleware import EXPIRES_HEADER
from app.feeds import render
from app.feeds.render import FeedParams
from app.http.openapi import ref
from app.http.responses import JSONBytes
from app.http.routing import ReadSessionDep, Route
from app.http.urls import api_base, public

router = APIRouter(prefix="/feeds", tags=["feeds"], route_class=Route)
Params = Annotated[FeedParams, Query()]


def _ok(kind: str, schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": "The feed.", "content": {render.MEDIA_TYPES[kind]: {"schema": schema}}}}


XML: dict[str, Any] = {"type": "string", "description": "The feed's XML."}


def _headers(params: FeedParams, feed: render.Feed) -> dict[str, str]:
    keys = "feeds articles" + (f" category:{params.category}" if params.category else "")
    headers = {"Surrogate-Key": keys}
    if expires := [item["expires_at"] for item in feed.items if item.get("expires_at")]:
        # The response cache keeps the feed no longer than its first expiry (app/cache/middleware.py).
        headers[EXPIRES_HEADER.decode()] = min(expires)
    return headers


def _latest(request: Request, session: ReadSessionDep, params: FeedParams) -> render.Feed:
    return render.latest(session, params, feed_url=str(public(request.url)), api_base=api_base())


@router.get(
    "/rss.xml",
    operation_id="get_rss_feed",
    summary="RSS 2.0 feed of the latest articles",
    response_class=Response,
    responses=_ok("rss", XML),
)
def rss_feed(request: Request, params: Params, session: ReadSessionDep) -> Response:
    feed = _latest(request, session, params)
    return Response(render.rss(feed), media_type=render.MEDIA_TYPES["rss"], headers=_headers(params, feed))


@router.get(
    "/atom.xml",
    operation_id="get_atom_feed",
    summary="Atom feed of the latest articles",
    response_class=Response,
    responses=_ok("atom", XML),
)
def atom_feed(request: Request, params: Params, session: ReadSessionDep) -> Response:
    feed = _latest(request, session, params)
    return Response(render.atom(feed), media_type=render.MEDIA_TYPES["atom"], headers=_headers(params, feed))


@router.get(
    "/feed.json",
    operation_id="get_json_feed",
    summary="JSON Feed 1.1 of the latest articles",
    response_class=Response,
    responses=_ok("json", ref("JsonFeed")),
)
def json_feed(request: Request, params: Params, session: ReadSessionDep) -> JSONBytes:
    feed = _latest(request, session, params)
    return JSONBytes(render.json_feed(feed), media_type=render.MEDIA_TYPES["json"], headers=_headers(params, feed))
