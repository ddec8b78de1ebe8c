"""The opt-in access log (GAZETTE_ACCESS_LOG, `gazette serve --access-log`): one JSON line
per request on stderr, beside the log lines of the logger "gazette.access"."""

import asyncio
import atexit
import os
import sys
from datetime import UTC, datetime

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from app.http.middleware.outcome import answer_then
from app.settings import get_settings


class _Sink:
    """Access lines, buffered and written to stderr (where the log handlers write) a fifth of a
    second after the first one waiting, or at 64 KiB: one write for many requests instead of a
    log record, a handler's lock and a flush each (the hot article at 0.38x the bare app with
    one each, measured in bench/)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.scheduled = False

    def add(self, line: bytes) -> None:
        self.buffer += line
        if len(self.buffer) >= 65_536:
            self.flush()
        elif not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_later(0.2, self.flush)

    def flush(self) -> None:
        self.scheduled = False
        data, self.buffer = bytes(self.buffer), bytearray()
        if data:
            sys.stderr.flush()  # what the log handlers wrote first comes first
            os.write(sys.stderr.fileno(), data)


SINK = _Sink()


class AccessLogMiddleware:
    """Inside RequestIdMiddleware (so the id is known), outside everything else. With
    GAZETTE_LOG_FORMAT=json a line also holds time, level, logger and message, as every other
    log line does (app/observability/logs.py); otherwise it is the request's fields alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        atexit.register(SINK.flush)  # what is buffered is written when the process ends
        self.json = get_settings().log_format == "json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await answer_then(self.app, scope, receive, send, self._write)

    def _write(self, scope: Scope, status: int, seconds: float) -> None:
        state = scope.get("state") or {}
        client = scope.get("client")
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "request_id": state.get("request_id"),
            "key": state.get("key_name"),
            "client": client[0] if client else None,
        }
        if self.json:
            fields = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "level": "INFO",
                "logger": "gazette.access",
                "message": f"{fields['method']} {fields['path']} {status}",
                **fields,
            }
        SINK.add(orjson.dumps(fields) + b"\n")
