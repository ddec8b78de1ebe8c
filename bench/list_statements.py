"""What each list's page costs in the database alone: its statement timed, and its plan.

    python bench/list_statements.py --database-url sqlite:////tmp/bench.db
    python bench/list_statements.py --database-url postgresql://… '/v1/articles?tag={tag}' --runs 50

Calls the app in process (cache off, no server) once per path to capture the SQL of the
page (the statement with ORDER BY … LIMIT), then runs that statement 3 times to warm up and
`--runs` times timed on a
connection of its own and prints the median and the slowest, its multiple of the unfiltered
page's (the first path), and the plan's lines. The database's share of a list's cost, without
the HTTP, routing and rendering around it that `sweep.py` measures with it: on a machine other
work shares, the steadier figure to compare a filter with the unfiltered page. `{tag}`,
`{author}`, `{speaker}`, `{source}`, `{category}` become the first slug the server lists, as
in `sweep.py`.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from route_cost import call, lifespan

PATHS = (
    "/v1/articles",
    "/v1/articles?tag={tag}",
    "/v1/articles?author={author}",
    "/v1/articles?speaker={speaker}",
    "/v1/articles?source={source}",
    "/v1/articles?category={category}",
    "/v1/articles?lang=fr",
    "/v1/articles?lang=en&fallback=fr",
    "/v1/articles?published_after={instant}",
    "/v1/articles?published_before={instant}",
    "/v1/articles?updated_since={instant}",
    "/v1/articles?sort=published_at",
    "/v1/articles?sort=-updated_at",
    "/v1/articles?sort=updated_at",
    "/v1/articles?tag={tag}&sort=published_at",
    "/v1/quotes",
    "/v1/quotes?speaker={speaker}",
)
CATALOGUES = {"tag": "/v1/tags", "author": "/v1/authors", "speaker": "/v1/people", "source": "/v1/sources"}


async def _json(app, path: str) -> dict:
    import orjson

    body = bytearray()

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    raw, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw,
        "raw_path": raw.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"accept-encoding", b"identity")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    return orjson.loads(bytes(body))


async def _samples(app) -> dict[str, str]:
    from datetime import datetime, timedelta

    found = {name: (await _json(app, f"{path}?limit=1"))["data"][0]["slug"] for name, path in CATALOGUES.items()}
    found["category"] = "international"
    newest = (await _json(app, "/v1/articles?limit=1"))["data"][0]["published_at"]
    when = datetime.fromisoformat(newest.replace("Z", "+00:00")) - timedelta(days=30)
    found["instant"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return found


def _explain(cursor, postgres: bool, statement: str, parameters) -> list[str]:
    if postgres:
        cursor.execute("EXPLAIN " + statement, parameters)
        return [row[0] for row in cursor.fetchall()]
    cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
    return [("  " * (row[1] != 0)) + row[3] for row in cursor.fetchall()]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("paths", nargs="*", help=f"default: {len(PATHS)} lists, the unfiltered page first")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-plans", dest="plans", action="store_false")
    args = parser.parse_args()
    os.environ.update(
        GAZETTE_DATABASE_URL=args.database_url,
        GAZETTE_RESPONSE_CACHE_ENABLED="false",
        GAZETTE_RUN_BACKGROUND_JOBS="false",
    )
    import sqlalchemy as sa
    from sqlalchemy import event

    from app.main import create_app
    from app.store.engine import normalise_url

    app = create_app()
    await lifespan(app)
    samples = await _samples(app)
    postgres = args.database_url.startswith("postgres")
    engine = sa.create_engine(normalise_url(args.database_url))
    raw = engine.raw_connection()
    cursor = raw.cursor()
    seen: list[tuple[str, object]] = []

    def record(conn, cur, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ORDER BY" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    first_ms = None
    print(f"{'list':60} {'median ms':>10} {'slowest':>8} {'× first':>8}")
    for template in args.paths or PATHS:
        path = template.format(**samples)
        seen.clear()
        event.listen(sa.Engine, "before_cursor_execute", record)
        try:
            status, _ = await call(app, path)
        finally:
            event.remove(sa.Engine, "before_cursor_execute", record)
        if status != 200 or not seen:
            print(f"{path:60} answered {status}, no page statement")
            continue
        statement, parameters = seen[0]
        for _ in range(3):  # warm: the database's pages in memory, as a served list has them
            cursor.execute(statement, parameters)
            cursor.fetchall()
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            cursor.execute(statement, parameters)
            cursor.fetchall()
            times.append((time.perf_counter() - began) * 1000)
        raw.rollback()
        median = statistics.median(times)
        first_ms = first_ms or median
        print(f"{path:60} {median:10.2f} {max(times):8.2f} {median / first_ms:8.2f}", flush=True)
        if args.plans:
            print("\n".join(f"    {line}" for line in _explain(cursor, postgres, statement, parameters)))
            raw.rollback()
    raw.close()
    engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
