"""Fast JSON responses: orjson bytes, no re-validation of data built from our own database."""

from typing import Any

import orjson
from starlette.responses import Response

from app.http.pagination import Page
from app.http.urls import public


class JSONBytes(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def page_response(items: list[Any], page: Page, request_url: Any = None) -> JSONBytes:
    """The list envelope, with a Link header that mirrors next_cursor."""
    headers = {}
    if page.next_cursor and request_url is not None:
        headers["Link"] = f'<{public(request_url).include_query_params(cursor=page.next_cursor)}>; rel="next"'
    return JSONBytes({"data": items, "meta": page.meta()}, headers=headers)
