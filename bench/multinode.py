"""Figures from the multi-node test bed (tests/support/testbed.py): two nodes reading from a
streaming replica, Varnish in front, `gazette purger` purging it.

    .venv/bin/python bench/multinode.py --writes 100 --seconds 10

1. Stale time after a write through Varnish: PATCH of an article, then the article, a list and
   the RSS feed read through Varnish until each shows it (p50 / p99 over --writes writes).
2. The hot article through Varnish and straight to a node, with wrk, in the same run.
3. Replica lag under a mixed load: wrk reading through a node while writers PATCH articles,
   the lag read from the nodes' /readyz meanwhile.
4. Outages: the replica, then Redis, stopped for a few seconds and started again while a
   client reads on both nodes (with and without a key): answers, errors, time to use it again.
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import testbed
from tests.support.editorial import create, patch


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def stale_times(bed: testbed.MultiNode, headers: dict[str, str], writes: int) -> dict[str, tuple[float, float]]:
    with httpx.Client(base_url=bed.nodes[0], timeout=10) as origin, httpx.Client(base_url=bed.edge, timeout=10) as cdn:
        article = create(origin, headers, title="Stale 0", status="published")
        paths = {"article": f"/v1/articles/{article['id']}", "list": "/v1/articles", "feed": "/feeds/rss.xml"}
        time.sleep(2)
        stale: dict[str, list[float]] = {name: [] for name in paths}
        for write in range(1, writes + 1):
            for path in paths.values():  # in Varnish's cache before the write
                deadline = time.monotonic() + 10
                while cdn.get(path).headers.get("x-cache") != "HIT" and time.monotonic() < deadline:
                    time.sleep(0.02)
            title = f"Stale {write} {uuid.uuid4().hex[:8]}"
            current = origin.get(paths["article"], headers=headers).json()
            assert patch(origin, headers, current, {"title": title}).status_code == 200
            written = time.monotonic()
            waiting = dict(paths)
            while waiting:
                for name, path in list(waiting.items()):
                    if title in cdn.get(path).text:
                        stale[name].append(time.monotonic() - written)
                        del waiting[name]
                assert time.monotonic() - written < 30, f"{list(waiting)} still stale after 30 s"
                time.sleep(0.005)
    return {name: (statistics.median(t), _p(t, 99)) for name, t in stale.items()}


def wrk(url: str, seconds: int, connections: int = 32) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url], capture_output=True, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_second": rps,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def lag_under_load(bed: testbed.MultiNode, headers: dict[str, str], seconds: int) -> dict[str, float]:
    with httpx.Client(base_url=bed.nodes[0], timeout=10) as c:
        articles = [create(c, headers, title=f"Load {i}", status="published") for i in range(20)]
    stop = threading.Event()
    writes = [0]

    def writer(node: str, mine: list[dict]) -> None:
        with httpx.Client(base_url=node, timeout=10) as c:
            n = 0
            while not stop.is_set():
                article = mine[n % len(mine)]
                current = c.get(f"/v1/articles/{article['id']}", headers=headers).json()
                if patch(c, headers, current, {"title": f"Load {uuid.uuid4().hex[:8]}"}).status_code == 200:
                    writes[0] += 1
                n += 1

    lags: list[float] = []
    threads = [threading.Thread(target=writer, args=(node, articles[i::2])) for i, node in enumerate(bed.nodes)]
    reads = subprocess.Popen(
        ["wrk", "-t1", "-c16", f"-d{seconds}s", f"{bed.nodes[1]}/v1/articles?limit=20"],
        stdout=subprocess.DEVNULL,
    )
    for t in threads:
        t.start()
    end = time.monotonic() + seconds
    connections = {"primary": 0, "replica": 0}
    count = "SELECT count(*) FROM pg_stat_activity WHERE datname = 'gazette'"
    with psycopg.connect(bed.primary.url, autocommit=True) as p, psycopg.connect(bed.replica.url) as r:
        while time.monotonic() < end:
            for node in bed.nodes:
                state = httpx.get(f"{node}/readyz", timeout=5).json()
                lags.extend(r["lag_seconds"] for r in state["replicas"] if r["lag_seconds"] is not None)
            for name, c in (("primary", p), ("replica", r)):
                row = c.execute(count).fetchone()
                connections[name] = max(connections[name], int(row[0]) - 1 if row else 0)  # less our own
            r.rollback()
            time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    reads.wait()
    return {
        "writes_per_second": writes[0] / seconds,
        "lag_p50": statistics.median(lags),
        "lag_p99": _p(lags, 99),
        "lag_max": max(lags),
        "samples": len(lags),
        "most_connections_primary": connections["primary"],
        "most_connections_replica": connections["replica"],
    }


def _reads(bed: testbed.MultiNode, headers: dict[str, str], path: str, stop: threading.Event, tally: dict) -> None:
    with httpx.Client(timeout=5) as c:
        n = 0
        while not stop.is_set():
            n += 1
            for node in bed.nodes:
                for extra in ({}, headers):
                    try:
                        answer = c.get(f"{node}{path}?n={n % 50}", headers=extra)
                        tally[str(answer.status_code)] += 1
                    except httpx.HTTPError as error:
                        tally[type(error).__name__] += 1


def outage(bed: testbed.MultiNode, headers: dict[str, str], what: str, seconds: float) -> dict[str, object]:
    with httpx.Client(base_url=bed.nodes[0], timeout=10) as c:
        article = create(c, headers, title=f"Outage {what}", status="published")
    time.sleep(1)
    stop = threading.Event()
    tally: Counter = Counter()
    reader = threading.Thread(target=_reads, args=(bed, headers, f"/v1/articles/{article['id']}", stop, tally))
    reader.start()
    time.sleep(1)
    before = dict(tally)
    stopped = time.monotonic()
    (bed.replica.stop if what == "replica" else bed.stop_redis)()
    noticed = None
    if what == "replica":
        while any(httpx.get(f"{n}/readyz", timeout=5).json()["reads_from"] != "primary" for n in bed.nodes):
            time.sleep(0.02)
        noticed = time.monotonic() - stopped
    time.sleep(max(0.0, seconds - (time.monotonic() - stopped)))
    during = {k: v - before.get(k, 0) for k, v in tally.items()}
    (bed.replica.start if what == "replica" else bed.start_redis)()
    started = time.monotonic()
    back = None
    if what == "replica":
        while any(httpx.get(f"{n}/readyz", timeout=5).json()["reads_from"] == "primary" for n in bed.nodes):
            time.sleep(0.05)
        back = time.monotonic() - started
    time.sleep(1)
    stop.set()
    reader.join()
    after = {k: v - during.get(k, 0) - before.get(k, 0) for k, v in tally.items()}
    return {
        "noticed_after_s": noticed,
        "while_stopped": during,
        "after_restart": after,
        "back_in_use_after_s": back,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--parts", default="stale,hot,lag,outage", help="which figures (comma-separated)")
    args = parser.parse_args()
    if (reason := testbed.missing()) or shutil.which("wrk") is None:
        sys.exit(f"cannot run: {reason or 'wrk is not installed (apt-get install wrk)'}")
    figures: dict[str, object] = {}
    started = time.monotonic()
    with testbed.multinode(log=print) as bed:
        figures["start_seconds"] = round(time.monotonic() - started, 1)
        headers = bed.key()
        parts = set(args.parts.split(","))
        if "stale" in parts:
            figures["stale"] = stale_times(bed, headers, args.writes)
            print("stale (p50, p99 s):", figures["stale"], flush=True)
        if "hot" in parts:
            with httpx.Client(base_url=bed.nodes[0], timeout=10) as c:
                hot = create(c, headers, title="Hot", status="published")
            path = f"/v1/articles/{hot['id']}"
            for url in (bed.edge, bed.nodes[0]):
                httpx.get(f"{url}{path}", timeout=10)
            figures["hot_varnish"] = wrk(f"{bed.edge}{path}", args.seconds)
            figures["hot_node"] = wrk(f"{bed.nodes[0]}{path}", args.seconds)
            print("hot article:", figures["hot_varnish"], figures["hot_node"], flush=True)
        if "lag" in parts:
            figures["lag_under_load"] = lag_under_load(bed, headers, 2 * args.seconds)
            print("replica lag under load:", figures["lag_under_load"], flush=True)
        if "outage" in parts:
            figures["replica_outage"] = outage(bed, headers, "replica", 5)
            print("replica outage:", figures["replica_outage"], flush=True)
            figures["redis_outage"] = outage(bed, headers, "redis", 5)
            print("Redis outage:", figures["redis_outage"], flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
