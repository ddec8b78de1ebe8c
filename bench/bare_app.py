"""The baseline: a bare ASGI app that answers every request with the same fixed bytes.

The runner saves Gazette's article response to a file and points BENCH_BARE_BODY at it, so
the bare app sends exactly the bytes Gazette sends, on the same uvicorn, with nothing else.
With BENCH_BARE_HEADERS (a JSON file: a list of [name, value] pairs) it sends those headers
instead of only the type and length, and with BENCH_BARE_STATUS that status (`blackbox.py`
makes it send Gazette's own headers, and answer `304` with Gazette's validators).
"""

import json
import os
from pathlib import Path

_path = os.environ.get("BENCH_BARE_BODY")
BODY = Path(_path).read_bytes() if _path else b'{"hello":"world"}'
STATUS = int(os.environ.get("BENCH_BARE_STATUS", "200"))
_headers = os.environ.get("BENCH_BARE_HEADERS")
HEADERS = (
    [(name.encode("latin-1"), value.encode("latin-1")) for name, value in json.loads(Path(_headers).read_text())]
    if _headers
    else [(b"content-type", b"application/json")]
)
if STATUS != 304:
    HEADERS.append((b"content-length", str(len(BODY)).encode()))
else:
    BODY = b""


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": STATUS, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
