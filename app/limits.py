"""Request limits, checked before any route: body size (413, whether or not the client says how
much it sends) and NUL characters in the path or query (400: no database can look them up)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import errors
from app.settings import get_settings


def _too_large(limit: int, path: str):  # noqa: ANN202
    return errors.problem_response(
        413, "Payload too large", f"The request body is larger than {limit} bytes.",
        slug="payload-too-large", instance=path, headers={"Connection": "close"},
    )


class RequestLimits:
    """Refuses bodies over settings.max_body_bytes: at once from Content-Length, and by
    counting the bytes of a body that streams in without one (or lies about its size);
    and a path or query with a NUL in it (PostgreSQL refuses NUL in text)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await errors.problem_response(400, "Bad request", "The path or query holds a NUL character (%00).",
                                          instance=scope["path"].replace("\x00", ""))(scope, receive, send)
            return
        limit = get_settings().max_body_bytes
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            if declared.isdigit():
                await _too_large(limit, scope["path"])(scope, receive, send)
            else:
                await errors.problem_response(400, "Bad request", "Content-Length is not a number.",
                                              instance=scope["path"])(scope, receive, send)
            return

        received = 0
        rejected = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    rejected = True
                    if not started:
                        await _too_large(limit, scope["path"])(scope, receive, send)
                    # The app sees a client that went away, and whatever it answers is dropped.
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
