"""What one request costs in process, through the whole ASGI app (middleware, routing,
dependencies, the route, the response), without a socket: the mean over `--requests` calls,
the process's CPU time per request (all its threads: on a machine other work shares, steadier
than the wall time), and with `--profile`, where the time goes (cProfile, the top functions by
own time, on the event loop's thread only: what runs in the threadpool shows as waiting).

    python bench/route_cost.py --database-url sqlite:////tmp/bench.db /v1/categories '/v1/articles?limit=20'

Starts no server: it calls the app object as uvicorn would, one request after the other, on
one event loop, cache off (`--cache`: on, so a repeated path measures a hit), background jobs off.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def call(app, path: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> tuple[int, int]:
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"accept-encoding", b"identity"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    status, size = 0, 0

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


async def lifespan(app):
    queue: asyncio.Queue = asyncio.Queue()
    out: asyncio.Queue = asyncio.Queue()
    await queue.put({"type": "lifespan.startup"})

    async def receive():
        return await queue.get()

    async def send(message):
        await out.put(message)

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await out.get()
    return queue, task


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cache", action="store_true", help="response cache on: what a hit costs")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', sent with each request")
    args = parser.parse_args()
    os.environ.update(
        GAZETTE_DATABASE_URL=args.database_url,
        GAZETTE_RESPONSE_CACHE_ENABLED="true" if args.cache else "false",
        GAZETTE_RUN_BACKGROUND_JOBS="false",
    )
    from app.main import create_app

    app = create_app()
    headers = tuple(
        (name.strip().lower().encode(), value.strip().encode())
        for name, _, value in (header.partition(":") for header in args.header)
    )
    queue, task = await lifespan(app)
    try:
        for path in args.paths:
            status, size = await call(app, path)
            status, size = await call(app, path, headers)
            if status not in (200, 304):
                raise SystemExit(f"{path}: {status}")
            for _ in range(20):
                await call(app, path, headers)
            profiler = cProfile.Profile() if args.profile else None
            started, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(args.requests):
                await call(app, path, headers)
            if profiler:
                profiler.disable()
            mean = (time.perf_counter() - started) / args.requests * 1e6
            cpu_mean = (time.process_time() - cpu) / args.requests * 1e6
            print(f"{path:60} {mean:9.0f} µs per request, {cpu_mean:7.0f} µs of CPU ({size:,} bytes)")
            if profiler:
                pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
    finally:
        await queue.put({"type": "lifespan.shutdown"})
        await task


if __name__ == "__main__":
    asyncio.run(main())
