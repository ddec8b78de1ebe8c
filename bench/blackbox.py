"""The hot article and its `304` as a client outside the project measures them: `wrk -t1 -c32`
against `gazette serve` with its defaults on the demo database, and against a bare ASGI app
sending the same status, bytes and headers (for the `304`, a bare app answering `304` with
Gazette's validators), alternating in one run, the median of the rounds.

    python bench/blackbox.py [--rounds 3] [--duration 5] [--connections 32] [--json FILE]

Loads the demo into a fresh SQLite file (`gazette demo`), starts `gazette serve` with no
setting but the database's (response cache on, rate limits on, background jobs on, as by
default), picks the newest article, reads it twice (the second read is a cache hit) and once
with its ETag in If-None-Match, and gives those answers' headers (less `date` and `server`,
which uvicorn adds to both) to two bare apps. Every server is stopped when it ends.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
import loadgen
import servers


def run(args: argparse.Namespace) -> dict:
    loadgen.ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="gazette-blackbox-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "GAZETTE_DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}"}
        subprocess.run([sys.executable, "-m", "app.cli", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", "{port}"]
        gazette = servers.Server("gazette", env={"GAZETTE_DATABASE_URL": env["GAZETTE_DATABASE_URL"]}, command=command)
        with gazette:
            newest = httpx.get(gazette.url + "/v1/articles?limit=1").raise_for_status().json()["data"][0]["id"]
            path = f"/v1/articles/{newest}"
            # wrk asks for no encoding: neither does this client (httpx asks for gzip by default)
            plain = {"Accept-Encoding": "identity"}
            httpx.get(gazette.url + path, headers=plain).raise_for_status()
            hot = httpx.get(gazette.url + path, headers=plain).raise_for_status()
            if hot.headers.get("gazette-cache") != "HIT":
                raise SystemExit(f"the second read of {path} was not a cache hit: {hot.headers}")
            etag = hot.headers["etag"]
            not_modified = httpx.get(gazette.url + path, headers={**plain, "If-None-Match": etag})
            if not_modified.status_code != 304:
                raise SystemExit(f"If-None-Match answered {not_modified.status_code}")
            with (
                servers.bare_copy("bare-200", tmp, hot) as bare_200,
                servers.bare_copy("bare-304", tmp, not_modified) as bare_304,
            ):
                cases = {
                    "bare 200": (bare_200.url + path, ()),
                    "gazette hot": (gazette.url + path, ()),
                    "bare 304": (bare_304.url + path, (f"If-None-Match: {etag}",)),
                    "gazette 304": (gazette.url + path, (f"If-None-Match: {etag}",)),
                }
                rps: dict[str, list[float]] = {name: [] for name in cases}
                for round_ in range(1, args.rounds + 1):
                    for name, (url, headers) in cases.items():
                        kwargs = {"connections": args.connections, "threads": 1, "headers": headers}
                        loadgen.run(url, duration=1, **kwargs)  # warm-up
                        result = loadgen.run(url, duration=args.duration, **kwargs)
                        if result.errors:
                            raise SystemExit(f"{name}: {result.errors} errors")
                        rps[name].append(result.rps)
                        print(
                            f"round {round_} {name:12} {result.rps:9,.0f} req/s  p50 {result.p50_ms:.2f} ms",
                            file=sys.stderr,
                        )
    medians = {name: statistics.median(values) for name, values in rps.items()}
    report = {
        "load_average": os.getloadavg(),
        "article": path,
        "bytes": len(hot.content),
        "rps": rps,
        "median_rps": medians,
        "hot_ratio": medians["gazette hot"] / medians["bare 200"],
        "not_modified_ratio": medians["gazette 304"] / medians["bare 304"],
        "round_ratios": {
            "hot": [g / b for g, b in zip(rps["gazette hot"], rps["bare 200"], strict=True)],
            "304": [g / b for g, b in zip(rps["gazette 304"], rps["bare 304"], strict=True)],
        },
    }
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5, help="seconds a wrk run (after 1 s of warm-up)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    report = run(args)
    print(f"load average {report['load_average'][0]:.1f}, {report['article']}, {report['bytes']:,} bytes")
    for name, median in report["median_rps"].items():
        runs = ", ".join(f"{value:,.0f}" for value in report["rps"][name])
        print(f"{name:12} median {median:9,.0f} req/s  ({runs})")
    hot = ", ".join(f"{r:.2f}" for r in report["round_ratios"]["hot"])
    nm = ", ".join(f"{r:.2f}" for r in report["round_ratios"]["304"])
    print(f"hot article: {report['hot_ratio']:.2f} × the bare app (rounds {hot})")
    print(f"its 304:     {report['not_modified_ratio']:.2f} × the bare 304 (rounds {nm})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
