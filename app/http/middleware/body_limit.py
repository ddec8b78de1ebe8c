"""Request limits, checked before any route: body size (413, whether or not the client says how
much it sends), NUL characters in the path or query (400: no database can look them up) and
text no engine can store in a JSON body (NUL, lone surrogates: 422 naming the field;
app/http/schemas.py `unstorable`)."""

import inspect
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http import problems
from app.http.routing import flat_routes
from app.http.schemas import unstorable_fields
from app.settings import get_settings

_JSON_TYPES = (b"application/json", b"application/merge-patch+json")


# How NUL or a surrogate is written in JSON (a raw NUL is no valid JSON): the escapes that might
# be one. Only a body holding one is parsed here a second time.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])")


def _unstorable_in_json(body: bytes) -> list[dict[str, str]]:
    """The fields (as the API names fields) whose text no engine can store in a JSON body
    (`unstorable_fields`: NUL, lone surrogates); none when the body is not JSON (the route's
    own parsing reports that)."""
    if b"\x00" not in body and _SUSPECT.search(body) is None:
        return []
    try:
        # The standard library's parser, as the routes': it reads a lone surrogate, orjson refuses it.
        document = json.loads(body)
    except (ValueError, RecursionError):
        return []
    found = {problems.field_path(path) or "body": why for path, why in unstorable_fields(document)}
    return [{"field": field, "message": why} for field, why in found.items()]


def _unstorable_problem(errors: list[dict[str, str]], path: str) -> Response:
    return problems.problem_response(
        422,
        "Validation failed",
        problems.summary(errors),
        slug="validation-failed",
        instance=path,
        errors=errors,
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


def body_limit(max_bytes: int, *, counted_by_endpoint: bool = False) -> Callable[[Endpoint], Endpoint]:
    """Declares, with the route, how large a body its endpoint takes, in place of
    settings.max_body_bytes: `RequestLimits` reads it from the route, so that the route and its
    limit cannot diverge. Put it under the route's decorator. `counted_by_endpoint`: a body
    that says its size up front is still refused here, but one that streams in is counted by
    the endpoint, which answers its own 413 (the import, which commits as it reads and then
    says which lines it committed)."""

    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _LIMIT, (max_bytes, counted_by_endpoint))
        return endpoint

    return declare


def _declared_limits(routes: Iterable[Any]) -> tuple[tuple[re.Pattern[str], frozenset[str], tuple[int, bool]], ...]:
    """(path pattern, methods, (limit, counted by the endpoint)) of every route whose endpoint
    declares a body limit."""
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
        self._declared: tuple[tuple[re.Pattern[str], frozenset[str], tuple[int, bool]], ...] | None = None

    def _limit(self, scope: Scope) -> tuple[int, bool]:
        """The route's limit, and whether its endpoint counts a streamed body itself."""
        if self._declared is None:
            self._declared = _declared_limits(scope["app"].routes)
        for pattern, methods, limit in self._declared:
            if scope["method"] in methods and pattern.match(scope["path"]):
                return limit
        return get_settings().max_body_bytes, False

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
        limit, counted_by_endpoint = self._limit(scope)
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

        if counted_by_endpoint:
            await self.app(scope, receive, send)
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
                    errors = [] if message.get("more_body") else _unstorable_in_json(b"".join(chunks))
                    if errors:
                        rejected = True
                        if not started:
                            await _unstorable_problem(errors, scope["path"])(scope, receive, send)
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
