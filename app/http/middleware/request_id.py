"""X-Request-ID: every request gets an id (the client's when it is sane), every response and
every log line carries it; and the headers every response carries whatever answered it."""

import itertools
import logging
import os
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
HEADER = b"x-request-id"
# On every answer, added where the request id is (the one place every answer passes, cache
# hits and the fast path included, at no cost of its own): browsers must not guess a type
# other than the one sent (a JSON answer read as HTML or script).
EVERY_ANSWER = ((b"x-content-type-options", b"nosniff"),)


class _Ids:
    """Ids made in this process: 16 random hex digits drawn when it starts (so no two processes
    share them), then a counter: 32 hex digits like a UUID's, for a tenth of uuid4's cost (it
    reads the OS's random source for every id, on the hot path of every request). A forked
    process draws its own prefix as it starts (os.register_at_fork), not by a check per id."""

    def __init__(self) -> None:
        self.restart()
        os.register_at_fork(after_in_child=self.restart)

    def restart(self) -> None:
        self.prefix, self.counter = os.urandom(8).hex(), itertools.count()

    def next(self) -> bytes:
        return f"{self.prefix}{next(self.counter):016x}".encode()


IDS = _Ids()


def _sane(value: bytes) -> bool:
    """1 to 128 visible ASCII characters (no space, no control character)."""
    return 0 < len(value) <= 128 and all(33 <= c <= 126 for c in value)


class RequestIdMiddleware:
    """Outermost: takes or makes the id, puts it in the context and in scope["state"], and adds
    it (and EVERY_ANSWER) to every response, cached hits and errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == HEADER:
                given = value
                break
        raw = given if given is not None and _sane(given) else IDS.next()
        request_id = raw.decode("ascii")
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["request_id"] = request_id
        token = REQUEST_ID.set(request_id)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), (HEADER, raw), *EVERY_ANSWER]}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True
