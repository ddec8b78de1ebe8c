"""CORS: Starlette's middleware, with each Vary token named once."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message, Send


class CORS(CORSMiddleware):
    """Starlette's CORSMiddleware, which appends `Origin` to Vary on every answer it passes.
    The response cache names `Origin` itself when CORS is on (a hit answered in front of the
    middleware stack never passes here, and must vary the same: app/cache/middleware.py), so
    here a token already named is not named twice: hits and misses carry the same Vary."""

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        async def once_each(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                tokens = [t.strip() for value in headers.getlist("vary") for t in value.split(",") if t.strip()]
                if tokens:
                    seen = {t.lower(): t for t in reversed(tokens)}
                    headers["Vary"] = ", ".join(t for t in tokens if seen.pop(t.lower(), None) is not None)
            await send(message)

        await super().send(message, once_each, request_headers)
