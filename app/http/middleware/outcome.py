"""The outcome of one HTTP request (its status and duration), for the middlewares that record it."""

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def answer_then(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, done: Callable[[Scope, int, float], None]
) -> None:
    """Run `app` on one HTTP request, then `done(scope, status, seconds)` however it ended
    (status 500 when no response started): what the metrics and the access log both need."""
    started = time.perf_counter()
    status = 500

    async def sending(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    try:
        await app(scope, receive, sending)
    finally:
        done(scope, status, time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's template with its prefixes (/v1/articles/{article_id}): the path
    with each path parameter put back as {name}; "unmatched" when no route matched."""
    if scope.get("route") is None:
        return "unmatched"
    segments = scope["path"].split("/")
    for name, value in (scope.get("path_params") or {}).items():
        for i in range(len(segments) - 1, -1, -1):
            if segments[i] == str(value):
                segments[i] = "{" + name + "}"
                break
    return "/".join(segments)
