"""Single-request latency of a few GETs against a running Gazette, one client, sequential:
the median and the slowest of `--repeat` requests each, after one warm-up request.

    .venv/bin/python bench/latency.py http://127.0.0.1:8000 '/v1/quotes?limit=1' '/v1/articles?limit=20&tag=syrie'

`{tag}`, `{speaker}`, `{author}`, `{category}` in a path are replaced with a slug the server
lists (the first of /v1/tags, /v1/people, ...). Start the server with
GAZETTE_RESPONSE_CACHE_ENABLED=false, or every request after the first is a cache hit."""

import argparse
import statistics
import time

import httpx

SLUGS = {"tag": "/v1/tags", "speaker": "/v1/people", "author": "/v1/authors", "category": "/v1/categories"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with httpx.Client(base_url=args.url, timeout=60) as client:
        slugs = {
            name: client.get(path, params={"limit": 1}).json()["data"][0]["slug"]
            for name, path in SLUGS.items()
            if any("{" + name + "}" in p for p in args.paths)
        }
        print(f"{'request':60} {'median ms':>10} {'max ms':>8}")
        for template in args.paths:
            path = template.format(**slugs)
            client.get(path).raise_for_status()
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            print(f"{path:60} {statistics.median(times):10.1f} {max(times):8.1f}")


if __name__ == "__main__":
    main()
