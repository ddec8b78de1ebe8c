"""The opt-in access log (GAZETTE_ACCESS_LOG, `gazette serve --access-log`): one JSON line
per request on the logger "gazette.access"."""

import logging
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("gazette.access")


class AccessLine:
    """A record's message: the request's fields, made into JSON only when a handler writes it
    (app/logs.py merges `fields` into its JSON line instead)."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict) -> None:
        self.fields = fields

    def __str__(self) -> str:
        return orjson.dumps(self.fields).decode()


class AccessLogMiddleware:
    """Inside RequestIdMiddleware (so the id is known), outside everything else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            state = scope.get("state") or {}
            client = scope.get("client")
            log.info(AccessLine({
                "method": scope["method"], "path": scope["path"], "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "request_id": state.get("request_id"), "key": state.get("key_name"),
                "client": client[0] if client else None,
            }))
