"""Fast JSON responses: orjson bytes, no re-validation of data built from our own database;
and event streams."""

from collections.abc import AsyncIterable, Callable
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from app.http.pagination import Page
from app.http.urls import public


class JSONBytes(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


# What a JSON document may not hold raw to stand inside an HTML <script> element: "</script>"
# would end it, "<!--" opens a comment, "&" starts an entity in XHTML; U+2028 and U+2029 end a line in
# older JavaScript. Each is written as its \u escape, which every JSON reader reads back to
# the same character. orjson writes them only inside strings (never between tokens), so
# replacing the bytes cannot change the document's structure.
SCRIPT_ESCAPES = (
    (b"&", b"\\u0026"),
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def script_safe(body: bytes) -> bytes:
    """JSON bytes that can be pasted into a <script> element as they are."""
    for raw, escaped in SCRIPT_ESCAPES:
        if raw in body:
            body = body.replace(raw, escaped)
    return body


class ScriptSafeJSONBytes(JSONBytes):
    """JSONBytes with `<`, `>`, `&`, U+2028 and U+2029 escaped (`script_safe`)."""

    def render(self, content: Any) -> bytes:
        return script_safe(orjson.dumps(content))


def page_response(items: list[Any], page: Page, request_url: Any = None) -> JSONBytes:
    """The list envelope, with a Link header that mirrors next_cursor."""
    headers = {}
    if page.next_cursor and request_url is not None:
        headers["Link"] = f'<{public(request_url).include_query_params(cursor=page.next_cursor)}>; rel="next"'
    return JSONBytes({"data": items, "meta": page.meta()}, headers=headers)


EVENT_STREAM = "text/event-stream"


def wants_events(accept: str | None) -> bool:
    """Whether an Accept header asks for server-sent events."""
    return accept is not None and EVENT_STREAM in accept.lower()


class EventStream(StreamingResponse):
    """Server-sent events (text/event-stream), with the headers that keep proxies from
    buffering or caching them (nginx reads X-Accel-Buffering); `ended` is called once the
    response is over, however it ended (the client went away, the server stops), even when
    its body was never iterated."""

    def __init__(self, content: AsyncIterable[bytes], ended: Callable[[], None]) -> None:
        super().__init__(
            content,
            media_type=EVENT_STREAM,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.ended = ended

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.ended()
