"""HEAD wherever GET: every path that answers GET answers HEAD, with the same headers and no body."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Innermost: a HEAD that reaches the routes runs as the GET it stands for, and its body is
    dropped. FastAPI's routes take only the methods they declare, so a HEAD was a 405 on every
    path but the cached public reads (the response cache answers those itself), which made the
    Allow header of a 405 either incomplete or untrue. A HEAD of a long stream (the export) is
    as costly as its GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def bodiless(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, bodiless)
