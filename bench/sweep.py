"""Time every public GET operation of the API, cache off, one worker, in one run.

    python bench/sweep.py --database-url sqlite:////tmp/bench.db [--only articles,quotes] [--json FILE]

Starts `gazette serve` on the database with the response cache and background jobs off, reads
its `/openapi.json`, and makes one case per operation and per documented query parameter:
each list with each filter (a slug the server itself lists), `include`, `fields`, each
`sort`, `count=true`, a page deep in the cursor; each item; the feeds with `category`; an
article as `ninjs` and `jsonld`; the change feed with `types`. A parameter it has no sample
for stops it (a new parameter is then timed, not forgotten). Each case is a bounded wrk run
(`-t1`), or with `--sequential N`, N requests one after the other from Python (the smoke test
in tests/contracts/test_bench_smoke.py, with no wrk). Every answer must be a 200.

Beside requests/s, p50 and p99, each case shows its ratio to the cold article measured in
the same run (GET /v1/articles/{id} over a sample of ids in turn) and, for a list, the
multiple of its unfiltered page 1's time. Then the export: GET /v1/export streamed to a file,
its rows per second, wall time, and the server's resident memory at its start and end; with
`--reimport`, that file imported into a fresh database with `gazette import`.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
import loadgen
import servers
from scenarios import IDENTITY, Context

# Words of the generator's vocabulary (bench/vocabulary.py): one and two of them.
SEARCHES = ("climat", "président paris")
# Parameters no case sets: the page size stays the default, a key's status filter needs a key,
# a preview needs a token, highlight goes with q (its own case), Last-Event-ID is a stream's.
UNTIMED = {"limit", "status", "preview", "highlight", "Last-Event-ID", "since"}
# Path parameters of things bench/generate.py makes none of: their operations are named, untimed.
ABSENT = {
    "correction_id": "the generated archive has no correction notices",
    "update_id": "the generated archive has no live blog updates",
}
# The catalogue lists whose first slug fills a filter of the same meaning.
SLUG_LISTS = {
    "category": "/v1/categories",
    "tag": "/v1/tags",
    "author": "/v1/authors",
    "source": "/v1/sources",
    "speaker": "/v1/people",
}


@dataclass
class Case:
    name: str
    path: str
    kind: str  # "list", "item", "feed", "other"
    base: str = ""  # for a list: the name of its unfiltered page 1
    paths: list[str] = field(default_factory=list)  # several: requested in turn


@dataclass
class Timing:
    name: str
    path: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    x_cold: float = 0.0
    x_page1: float | None = None
    cpu_ms: float | None = None  # CPU the server spent per request (with its database's, on PostgreSQL)
    x_cold_cpu: float | None = None


class Samples:
    """Values for the query parameters, read from the server being measured."""

    def __init__(self, client: httpx.Client, context: Context) -> None:
        self.client = client
        self.context = context
        self.slugs = {name: self._first(path, "slug") for name, path in SLUG_LISTS.items()}
        self.slugs["category"] = context.category  # a section with subsections: the costly kind
        newest = self._get("/v1/articles", limit=1)["data"][0]
        self.article_id = context.hot_id  # has quotes and attributions
        self.article_slug = self._get(f"/v1/articles/{context.hot_id}", fields="slug")["slug"]
        self.quote_id = self._first("/v1/quotes", "id")
        # A month before the newest article: a date range that holds about a month's articles.
        self.instant = _month_before(newest["published_at"])

    def _get(self, path: str, **params: object) -> dict:
        return self.client.get(path, params=params).raise_for_status().json()

    def _first(self, path: str, key: str) -> str:
        data = self._get(path, limit=1)["data"]
        if not data:
            raise SystemExit(f"{path} is empty: load an archive with bench/generate.py first")
        return data[0][key]

    def path_value(self, name: str) -> str:
        values = {
            "article_id": self.article_id,
            "slug": None,  # by the operation's resource: see `item`
            "quote_id": self.quote_id,
        }
        if name not in values:
            raise SystemExit(f"the sweep has no sample for the path parameter {name!r}")
        return values[name] or ""

    def query(self, operation: str, name: str, schema: dict) -> list[tuple[str, dict[str, str]]]:
        """(case suffix, parameters) for one documented query parameter of a list."""
        if name in self.slugs:
            return [(f"{name}=", {name: self.slugs[name]})]
        if name == "article":
            return [("article=", {"article": self.article_id})]
        if name == "lang":
            return [("lang=fr", {"lang": "fr"})]
        if name == "fallback":  # a language with another in its place (app/articles/translations.py)
            return [("lang=en&fallback=fr", {"lang": "en", "fallback": "fr"})]
        if name == "count":
            return [("count=true", {"count": "true"})]
        if name == "cursor":
            return []  # the deep page, made by walking
        if name == "q":
            cases = [(f"q={word}", {"q": word}) for word in SEARCHES]
            if operation == "list_articles":
                cases.append((f"q={SEARCHES[0]}&highlight", {"q": SEARCHES[0], "highlight": "true"}))
            return cases
        if name in ("published_after", "published_before", "updated_since"):
            return [(f"{name}=", {name: self.instant})]
        if name == "sort":
            values = _enum(self.client, schema)
            return [(f"sort={v}", {"sort": v, **({"q": SEARCHES[0]} if v == "relevance" else {})}) for v in values]
        if name == "fields":
            return [("fields=id,title,slug", {"fields": "id,title,slug"})]
        if name == "include":
            return [(f"include={v}", {"include": v}) for v in ("quotes", "attributions", "body", "corrections")] + [
                ("include=quotes,attributions", {"include": "quotes,attributions"})
            ]
        if name == "types":
            return [("types=article", {"types": "article"}), ("types=quote,person", {"types": "quote,person"})]
        if name == "tree":
            return [("tree=true", {"tree": "true"})]
        raise SystemExit(f"the sweep has no sample for {operation}'s parameter {name!r}: add one")


def _month_before(instant: str) -> str:
    from datetime import datetime, timedelta

    when = datetime.fromisoformat(instant.replace("Z", "+00:00")) - timedelta(days=30)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


_SPEC: dict = {}


def _enum(client: httpx.Client, schema: dict) -> list[str]:
    if "$ref" in schema:
        schema = _SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for option in schema.get("anyOf", [schema]):
        if "enum" in option:
            return option["enum"]
        if "$ref" in option:
            return _enum(client, option)
    raise SystemExit(f"no enum in {schema}")


def _with(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def cases(spec: dict, samples: Samples, *, deep: int, budget: float) -> list[Case]:
    """Every public GET operation of `spec`, as cases."""
    found: list[Case] = []
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if operation is None or operation.get("security") or path in ("/v1/export",):
            continue  # a key's reads are not public; the export is timed on its own
        op = operation["operationId"]
        parameters = [p for p in operation.get("parameters", []) if p["in"] in ("query", "path")]
        query = {p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "query"}
        concrete = _concrete(path, samples)
        if concrete is None:
            continue
        if path.startswith(("/healthz", "/readyz", "/metrics")):
            found.append(Case(op, concrete, "other"))
            continue
        if path.startswith("/feeds/"):
            found.append(Case(op, concrete, "feed"))
            if "category" in query:
                found.append(Case(f"{op} category=", _with(concrete, {"category": samples.slugs["category"]}), "feed"))
            continue
        if "cursor" in query or op == "list_changes" or op == "list_categories":
            found.append(Case(op, concrete, "list", base=op))
            for name, schema in query.items():
                if name in UNTIMED:
                    continue
                for suffix, params in samples.query(op, name, schema):
                    found.append(Case(f"{op} {suffix}", _with(concrete, params), "list", base=op))
            if "cursor" in query:
                page, deep_path = walk(samples.client, concrete, trim="fields" in query, pages=deep, budget=budget)
                found.append(Case(f"{op} page {page:,}", deep_path, "list", base=op))
            continue
        found.append(Case(op, concrete, "item"))
        if op == "get_article":
            for fmt in ("ninjs", "jsonld"):
                found.append(Case(f"{op} format={fmt}", _with(concrete, {"format": fmt}), "item"))
            found.append(Case(f"{op} fields=id,title,slug", _with(concrete, {"fields": "id,title,slug"}), "item"))
            # A live blog's embedded updates: on an article that is no live blog, the plain read.
            found.append(Case(f"{op} include=updates", _with(concrete, {"include": "updates"}), "item"))
        for name in query:
            if name == "include" and op in ("get_article", "get_article_by_slug"):
                if op == "get_article_by_slug":
                    found.append(Case(f"{op} include=updates", _with(concrete, {"include": "updates"}), "item"))
                continue
            if name not in UNTIMED | {"fields", "format"}:
                raise SystemExit(f"the sweep has no sample for {op}'s parameter {name!r}: add one")
    return found


def walk(client: httpx.Client, path: str, *, trim: bool, pages: int, budget: float) -> tuple[int, str]:
    """Follow next_cursor from page 1 of `path` to page `pages` (or as deep as the list or the
    time budget allows): the page reached and its path. With `trim`, the walk asks for ids
    alone (the same pages, fewer bytes)."""
    deadline = time.monotonic() + budget
    page, cursor = 1, None
    while page < pages and time.monotonic() < deadline:
        params = {"limit": "20", **({"fields": "id"} if trim else {}), **({"cursor": cursor} if cursor else {})}
        meta = client.get(path, params=params).raise_for_status().json()["meta"]
        if not meta["has_more"]:
            break
        page, cursor = page + 1, meta["next_cursor"]
    return page, _with(path, {"cursor": cursor} if cursor else {})


def _concrete(path: str, samples: Samples) -> str | None:
    """`path` with its parameters filled; None for a template the sweep cannot fill."""
    if path == "/v1/articles/slug/{slug}":
        return f"/v1/articles/slug/{samples.article_slug}"
    if path.startswith("/sitemaps/articles-"):
        index = samples.client.get("/sitemaps/index.xml").text
        shard = re.search(r"articles-([^/<]+)\.xml", index)
        return f"/sitemaps/articles-{shard.group(1)}.xml" if shard else None
    match = re.fullmatch(r"/v1/(\w+)/\{slug\}", path)
    if match:
        resource = match.group(1)
        slug = samples.slugs.get(
            {"categories": "category", "tags": "tag", "authors": "author", "sources": "source", "people": "speaker"}[
                resource
            ]
        )
        return f"/v1/{resource}/{slug}"
    if "/pending" in path:
        print(f"not timed: {path}: a key's or a preview token's read, not a public one", file=sys.stderr)
        return None
    if path.startswith("/v1/articles/{article_id}/updates"):
        print(f"not timed: {path}: the generated archive has no live blogs", file=sys.stderr)
        return None
    absent = [name for name in re.findall(r"\{(\w+)\}", path) if name in ABSENT]
    if absent:  # the generator makes none: say so rather than time a 404
        print(f"not timed: {path}: {ABSENT[absent[0]]}", file=sys.stderr)
        return None
    return re.sub(r"\{(\w+)\}", lambda m: samples.path_value(m.group(1)), path)


def time_wrk(base: str, case: Case, *, duration: float, connections: int) -> Timing:
    script = loadgen.rotate_paths(case.paths) if case.paths else None
    loadgen.run(base + case.path, duration=1, connections=connections, threads=1, script=script)  # warm-up
    result = loadgen.run(base + case.path, duration=duration, connections=connections, threads=1, script=script)
    return Timing(case.name, case.path, result.rps, result.p50_ms, result.p99_ms, result.errors)


class CPU:
    """CPU time (user + system) of the server and, on PostgreSQL, of the database's backends
    serving it: on a machine shared with other work, wall time measures the machine's load as
    much as the request, and what the request costs is its CPU."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int, database_url: str) -> None:
        self.pid = pid
        self.database = database_url.rpartition("/")[2] if database_url.startswith("postgres") else None
        self.url = database_url

    def _pids(self) -> list[int]:
        pids = [self.pid]
        if self.database:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as c:
                pids += [
                    row[0]
                    for row in c.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                        (self.database,),
                    )
                ]
        return pids

    def seconds(self) -> float:
        total = 0
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / self.TICK


def time_sequential(
    client: httpx.Client, case: Case, *, requests: int, cpu: CPU | None = None, budget: float = float("inf")
) -> Timing:
    """`requests` requests one after the other, or as many as `budget` seconds allow (3 at least)."""
    paths = case.paths or [case.path]
    errors = 0
    client.get(paths[0])
    times: list[float] = []
    cpu_start = cpu.seconds() if cpu else 0.0
    deadline = time.monotonic() + budget
    for n in range(requests):
        if n >= 3 and time.monotonic() > deadline:
            break
        started = time.perf_counter()
        response = client.get(paths[n % len(paths)])
        times.append(time.perf_counter() - started)
        errors += response.status_code != 200
        if response.status_code != 200:
            print(f"  {case.name}: {response.status_code} {response.text[:300]}", file=sys.stderr)
    cpu_ms = (cpu.seconds() - cpu_start) / len(times) * 1000 if cpu else None
    times.sort()
    p99 = times[min(len(times) - 1, round(len(times) * 0.99))]
    timing = Timing(case.name, case.path, len(times) / sum(times), statistics.median(times) * 1000, p99 * 1000, errors)
    timing.cpu_ms = cpu_ms
    return timing


def export(server: servers.Server, into: Path) -> dict:
    """GET /v1/export streamed to `into`: rows, wall time, rows/s, resident memory (MB) at its
    start and end."""
    rss_start, _, anon_start = server.memory()
    rows = 0
    started = time.perf_counter()
    peak = rss_start
    with (
        httpx.stream("GET", server.url + "/v1/export", timeout=None, headers=IDENTITY) as response,
        into.open("wb") as out,
    ):
        response.raise_for_status()
        for line in response.iter_lines():
            out.write(line.encode() + b"\n")
            rows += 1
            if rows % 50_000 == 0:
                peak = max(peak, server.memory()[0])
    wall = time.perf_counter() - started
    rss_end, _, anon_end = server.memory()
    return {
        "rows": rows,
        "seconds": round(wall, 1),
        "rows_per_s": round(rows / wall),
        "bytes": into.stat().st_size,
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_peak_mb": round(max(peak, rss_end), 1),
        # VmRSS counts the database's pages a SQLite reader maps; RssAnon is the process's own.
        "anon_start_mb": round(anon_start, 1),
        "anon_end_mb": round(anon_end, 1),
    }


@contextmanager
def fresh_database(database_url: str, into: Path) -> Iterator[str]:
    """An empty database beside the one measured: a file in `into`, or `<name>_reimport`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{into / 'reimport.db'}"
        return
    import psycopg

    base, _, name = database_url.rpartition("/")
    target = f"{name}_reimport"
    admin = f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{target}"')
        c.execute(f'CREATE DATABASE "{target}"')
    try:
        yield f"{base}/{target}"
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def reimport(database_url: str, dump: Path, rows: int, into: Path) -> dict:
    """`gazette import` of the export into a fresh database: wall time and rows/s."""
    with fresh_database(database_url, into) as url:
        env = {**os.environ, "GAZETTE_DATABASE_URL": url, "GAZETTE_RUN_BACKGROUND_JOBS": "false"}
        gazette = [sys.executable, "-m", "app.cli"]
        subprocess.run([*gazette, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        started = time.perf_counter()
        done = subprocess.run([*gazette, "import", str(dump)], cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"gazette import failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    said = [line for line in (done.stdout + done.stderr).splitlines() if "created" in line]
    return {"seconds": round(wall, 1), "rows_per_s": round(rows / wall), "report": said[-1].strip() if said else ""}


def table(timings: list[Timing]) -> str:
    cpu = any(t.cpu_ms is not None for t in timings)
    head = "| request | req/s | p50 ms | p99 ms | × cold article | × page 1's time |"
    rule = "|---|---:|---:|---:|---:|---:|"
    if cpu:
        head += " CPU ms | × cold article, by CPU |"
        rule += "---:|---:|"
    lines = [head, rule]
    for t in timings:
        page1 = "" if t.x_page1 is None else f"{t.x_page1:.2f}"
        flag = f" **{t.errors} errors**" if t.errors else ""
        line = f"| `{t.path}`{flag} | {t.rps:,.1f} | {t.p50_ms:.1f} | {t.p99_ms:.1f} | {t.x_cold:.2f} | {page1} |"
        if cpu:
            line += f" {t.cpu_ms or 0:.2f} | {t.x_cold_cpu or 0:.2f} |"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--only", help="Comma-separated: run the cases whose name contains one of these.")
    parser.add_argument("--skip", help="Comma-separated: leave out the cases whose name contains one of these.")
    parser.add_argument("--duration", type=float, default=3, help="Seconds of wrk per case (after 1 s warm-up).")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sequential", type=int, help="N requests one after the other, from Python, instead of wrk.")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="With --sequential: also the server's CPU per request (and its database backends' on PostgreSQL).",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=10,
        help="With --sequential: at most this many seconds a case (3 requests at least).",
    )
    parser.add_argument("--deep", type=int, default=5000, help="The deep page: this many cursor steps in.")
    parser.add_argument("--walk-budget", type=float, default=300, help="Seconds the walk to the deep page may take.")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--reimport", action="store_true", help="Import the export into a fresh database, timed.")
    parser.add_argument(
        "--export-file", type=Path, help="Write the export here and keep it (default: a temporary file, removed)."
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.sequential is None:
        loadgen.ensure_wrk()

    context = Context.load(args.database_url, seed=1, sample=2000)
    server = servers.gazette("gazette-nocache", args.database_url, cache=False)
    with server, httpx.Client(base_url=server.url, timeout=120, headers=IDENTITY) as client:
        global _SPEC
        _SPEC = client.get("/openapi.json").raise_for_status().json()
        samples = Samples(client, context)
        cold = Case("article cold", f"/v1/articles/{context.sample_ids[0]}", "item")
        cold.paths = [f"/v1/articles/{i}" for i in context.sample_ids]
        everything = cases(_SPEC, samples, deep=args.deep, budget=args.walk_budget)
        wanted = [w.strip() for w in args.only.split(",")] if args.only else None
        skipped = [w.strip() for w in args.skip.split(",")] if args.skip else []
        chosen = [
            c
            for c in everything
            if (wanted is None or any(w in c.name for w in wanted)) and not any(w in c.name for w in skipped)
        ]

        cpu = CPU(server.pid, args.database_url) if args.cpu else None

        def measure(case: Case) -> Timing:
            if args.sequential:
                return time_sequential(client, case, requests=args.sequential, cpu=cpu, budget=args.budget)
            return time_wrk(server.url, case, duration=args.duration, connections=args.connections)

        # The yardstick, with five times the requests: its CPU is a few clock ticks otherwise.
        timings = [
            time_sequential(client, cold, requests=args.sequential * 5, cpu=cpu) if args.sequential else measure(cold)
        ]
        for case in chosen:
            timing = measure(case)
            print(
                f"{timing.name:55} {timing.rps:9,.0f} req/s  p50 {timing.p50_ms:7.1f}  p99 {timing.p99_ms:7.1f}",
                file=sys.stderr,
            )
            timings.append(timing)
        by_name = {t.name: t for t in timings}
        for t, case in zip(timings, [cold, *chosen], strict=True):
            t.x_cold = t.rps / timings[0].rps if timings[0].rps else 0.0
            page1 = by_name.get(case.base)
            if case.kind == "list" and page1 is not None and t.rps:
                t.x_page1 = page1.rps / t.rps
            if t.cpu_ms and timings[0].cpu_ms:
                t.x_cold_cpu = timings[0].cpu_ms / t.cpu_ms

        print(
            f"{context.engine}, {context.articles:,} articles, cache off, one worker; "
            + (
                f"{args.sequential} sequential requests per case"
                if args.sequential
                else f"wrk -t1 -c{args.connections} -d{args.duration:g}s per case"
            )
        )
        print()
        print(table(timings), flush=True)
        transfer: dict = {}
        if not args.no_export:
            with tempfile.TemporaryDirectory(prefix="gazette-sweep-") as tmp:
                dump = args.export_file or Path(tmp) / "export.ndjson"
                transfer["export"] = export(server, dump)
                print("\nexport: " + ", ".join(f"{k} {v}" for k, v in transfer["export"].items()), flush=True)
                if args.reimport:
                    transfer["import"] = reimport(args.database_url, dump, transfer["export"]["rows"], Path(tmp))
                    print("import: " + ", ".join(f"{k} {v}" for k, v in transfer["import"].items()), flush=True)

    if args.json:
        args.json.write_text(
            json.dumps({"context": context.describe(), "timings": [asdict(t) for t in timings], **transfer}, indent=1)
        )
    failed = [t.name for t in timings if t.errors]
    if failed:
        raise SystemExit(f"answers other than 200: {', '.join(failed)}")


if __name__ == "__main__":
    main()
