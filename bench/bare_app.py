"""The baseline: a bare ASGI app that answers every request with the same fixed bytes.

The runner saves Gazette's article response to a file and points BENCH_BARE_BODY at it, so
the bare app sends exactly the bytes Gazette sends, on the same uvicorn, with nothing else.
"""

import os
from pathlib import Path

_path = os.environ.get("BENCH_BARE_BODY")
BODY = Path(_path).read_bytes() if _path else b'{"hello":"world"}'
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
