"""Request limits, checked before any route: body size (413, whether or not the client says how
much it sends), NUL characters in the path or query (400: no database can look them up) and
in a JSON body's text (422 naming the field: PostgreSQL cannot store them, SQLite would)."""

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http import problems
from app.http.routing import flat_routes
from app.settings import get_settings

_JSON_TYPES = (b"application/json", b"application/merge-patch+json")


def _nul_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Where in a parsed JSON document strings (or objects' keys) hold NUL."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    found: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                found.append((*path, key.replace("\x00", "")))
            else:
                found += _nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nul_paths(item, (*path, index))
    return found


def _nul_in_json(body: bytes) -> list[str]:
    """The fields (as the API names fields) whose text holds NUL in a JSON body; none when the
    body is not JSON (the route's own parsing reports that)."""
    if b"\\u0000" not in body and b"\x00" not in body:
        return []
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    return list(dict.fromkeys(problems.field_path(p) or "body" for p in _nul_paths(document)))


def _nul_problem(fields: list[str], path: str) -> Response:
    return problems.problem_response(
        422,
        "Validation failed",
        f"{', '.join(fields)}: must not contain NUL characters (\\u0000).",
        slug="validation-failed",
        instance=path,
        errors=[{"field": field, "message": "must not contain NUL characters"} for field in fields],
    )


def _too_large(limit: int, path: str) -> Response:
    return problems.problem_response(
        413,
        "Payload too large",
        f"The request body is larger than {limit} bytes.",
        slug="payload-too-large",
        instance=path,
        headers={"Connection": "close"},
    )


_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
_BODY_HEADERS = (b"content-length", b"transfer-encoding")
_LIMIT = "max_body_bytes"  # the endpoint's attribute that `body_limit` sets
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def body_limit(max_bytes: int) -> Callable[[Endpoint], Endpoint]:
    """Declares, with the route, how large a body its endpoint takes, in place of
    settings.max_body_bytes: `RequestLimits` reads it from the route, so that the route and its
    limit cannot diverge. Put it under the route's decorator."""

    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _LIMIT, max_bytes)
        return endpoint

    return declare


def _declared_limits(routes: Iterable[Any]) -> tuple[tuple[re.Pattern[str], frozenset[str], int], ...]:
    """(path pattern, methods, limit) of every route whose endpoint declares a body limit."""
    declared = []
    for route in flat_routes(routes):
        endpoint = getattr(route, "endpoint", None)
        limit = getattr(inspect.unwrap(endpoint), _LIMIT, None) if endpoint is not None else None
        if limit is not None:
            declared.append((route.path_regex, frozenset(route.methods or ()), limit))
    return tuple(declared)


class RequestLimits:
    """Refuses bodies over the route's limit: at once from Content-Length, and by counting the
    bytes of a body that streams in without one (or lies about its size); and a path or query
    with a NUL in it (PostgreSQL refuses NUL in text). The limit is the one the route declares
    (`body_limit`: POST /v1/import's 200 MB), read from the app's routes once, at the first
    body; any other route's is settings.max_body_bytes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._declared: tuple[tuple[re.Pattern[str], frozenset[str], int], ...] | None = None

    def _limit(self, scope: Scope) -> int:
        if self._declared is None:
            self._declared = _declared_limits(scope["app"].routes)
        for pattern, methods, limit in self._declared:
            if scope["method"] in methods and pattern.match(scope["path"]):
                return limit
        return get_settings().max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await problems.problem_response(
                400,
                "Bad request",
                "The path or query holds a NUL character (%00).",
                instance=scope["path"].replace("\x00", ""),
            )(scope, receive, send)
            return
        if scope["method"] in _BODILESS and not any(name in _BODY_HEADERS for name, _ in scope["headers"]):
            await self.app(scope, receive, send)  # no body to count: reads, most requests
            return
        limit = self._limit(scope)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            if declared.isdigit():
                await _too_large(limit, scope["path"])(scope, receive, send)
            else:
                await problems.problem_response(
                    400, "Bad request", "Content-Length is not a number.", instance=scope["path"]
                )(scope, receive, send)
            return

        received = 0
        rejected = False
        started = False
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        chunks: list[bytes] | None = [] if content_type in _JSON_TYPES else None

        async def counting_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    rejected = True
                    if not started:
                        await _too_large(limit, scope["path"])(scope, receive, send)
                    # The app sees a client that went away, and whatever it answers is dropped.
                    return {"type": "http.disconnect"}
                if chunks is not None:
                    chunks.append(chunk)
                    fields = [] if message.get("more_body") else _nul_in_json(b"".join(chunks))
                    if fields:
                        rejected = True
                        if not started:
                            await _nul_problem(fields, scope["path"])(scope, receive, send)
                        return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
