"""Benchmark Gazette against a bare ASGI app sending the same bytes, with wrk, in one run.

    python bench/run.py --database-url sqlite:////tmp/bench.db [--duration 10] [--connections 32]

Starts its own servers on 127.0.0.1 (Gazette with the response cache, Gazette without it,
the bare app), measures each scenario for a bounded time, prints one table, stops everything.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
import loadgen
import servers
from rich.console import Console
from rich.table import Table
from scenarios import (
    IDENTITY,
    Context,
    export_commit,
    prepare_mixed,
    walk_cursor,
    working_tree_commit,
)

SCENARIOS = (
    "bare",
    "article_hot",
    "revalidate_304",
    "article_cold",
    "list_page1",
    "list_deep",
    "category",
    "include",
    "changes",
    "mixed",
)
console = Console(width=200)
log = Console(stderr=True)


@dataclass
class Row:
    scenario: str
    server: str
    what: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio: float | None = None
    errors: int | None = None
    note: str = ""


class Runner:
    def __init__(self, args: argparse.Namespace, ctx: Context) -> None:
        self.args, self.ctx = args, ctx
        self.rows: list[Row] = []
        self.bare_rps: float | None = None

    def measure(
        self,
        name: str,
        server: servers.Server,
        what: str,
        *,
        path: str = "/",
        script: str | Callable[[], str] | None = None,
        headers: tuple[str, ...] = (),
        threads: int | None = None,
        note: str = "",
    ) -> Row:
        """One scenario: a warm-up run, then the measured one. A callable `script` is made
        anew for each run (the mixed load's validators go stale as the warm-up writes)."""
        args = self.args
        url = server.url + path
        kwargs = {"connections": args.connections, "threads": threads or args.threads, "headers": headers}
        log.print(f"[bold]{name}[/] {what}: warm-up {args.warmup:g} s, then {args.duration:g} s")
        fresh = script if callable(script) else lambda: script
        if args.warmup > 0:
            loadgen.run(url, duration=args.warmup, script=fresh(), **kwargs)
        result = loadgen.run(url, duration=args.duration, script=fresh(), **kwargs)
        if result.extra.get("conflicts", "0") != "0":
            note = "; ".join(filter(None, [note, f"{result.extra['conflicts']} stale writes (412)"]))
        if "writes" in result.extra and int(result.extra.get("requests", "0")):
            writes, requests = int(result.extra["writes"]), int(result.extra["requests"])
            note = "; ".join(filter(None, [note, f"{writes:,} writes, {writes / requests:.1%} of requests"]))
        row = Row(name, server.name, what, result.rps, result.p50_ms, result.p99_ms, None, result.errors, note)
        if name.split("@", maxsplit=1)[0] == "bare":  # the baseline of the rows after it
            self.bare_rps = result.rps
        if self.bare_rps:
            row.ratio = result.rps / self.bare_rps
        self.rows.append(row)
        return row

    def skip(self, name: str, what: str, reason: str) -> None:
        log.print(f"[yellow]{name}: skipped: {reason}[/]")
        self.rows.append(Row(name, "-", what, note=f"skipped: {reason}"))


def _check(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(url, timeout=30, headers={**IDENTITY, **(headers or {})})


def run(args: argparse.Namespace) -> dict:
    loadgen.ensure_wrk()
    load_before = os.getloadavg()[0]
    wanted = set(args.scenarios.split(",")) if args.scenarios else set(SCENARIOS)
    wanted.add("bare")  # every ratio needs it
    ctx = Context.load(args.database_url, seed=args.seed)
    log.print(f"{ctx.articles:,} articles on {ctx.engine}; hot article {ctx.hot_id}")
    work = Path(tempfile.mkdtemp(prefix="gazette-bench-"))
    root, commit = servers.ROOT, working_tree_commit()
    if args.commit:
        root = work / "tree"
        commit = export_commit(args.commit, root)
    log.print(f"Gazette from {root} (commit {commit})")
    # What `gazette serve` does first: the schema of the code under test, on the loaded data.
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        cwd=root,
        check=True,
        env={**os.environ, "GAZETTE_DATABASE_URL": args.database_url},
        timeout=600,
    )
    hot = servers.gazette("gazette", args.database_url, cache=True, root=root)
    cold = servers.gazette("gazette-nocache", args.database_url, cache=False, root=root)
    memory: dict[str, dict[str, float]] = {}
    with hot, cold:
        article_path = f"/v1/articles/{ctx.hot_id}"
        first = _check(hot.url + article_path)
        first.raise_for_status()
        body_file = work / "article.json"
        body_file.write_bytes(first.content)
        etag = first.headers.get("etag")
        runner = Runner(args, ctx)
        # the baseline sends the bytes and headers of Gazette's answer from its cache
        with servers.bare_copy("bare", work, _check(hot.url + article_path)) as bare:
            runner.measure("bare", bare, f"bare ASGI app, the same {len(first.content):,} bytes and headers")
            memory["bare"] = dict(zip(("rss_mb", "peak_mb", "anon_mb"), bare.memory(), strict=True))

        if "article_hot" in wanted:
            runner.measure("article_hot", hot, "GET one article, cache on", path=article_path)
        if "revalidate_304" in wanted:
            what = "GET one article with If-None-Match"
            if not etag:
                runner.skip("revalidate_304", what, "the article response carries no ETag yet")
            elif (status := _check(hot.url + article_path, headers={"If-None-Match": etag}).status_code) != 304:
                runner.skip("revalidate_304", what, f"If-None-Match answered {status}, not 304")
            else:
                # its baseline: a bare app answering 304 with the same validators, not the 200
                validators = (f"If-None-Match: {etag}",)
                not_modified = _check(hot.url + article_path, headers={"If-None-Match": etag})
                with servers.bare_copy("bare-304", work, not_modified) as bare_304:
                    baseline = runner.measure("bare_304", bare_304, "bare ASGI app answering 304, the same headers")
                row = runner.measure("revalidate_304", hot, what, path=article_path, headers=validators)
                baseline.ratio = 1.0
                row.ratio = row.rps / baseline.rps if row.rps and baseline.rps else None
        if "article_cold" in wanted:
            paths = [f"/v1/articles/{i}" for i in ctx.sample_ids]
            runner.measure(
                "article_cold",
                cold,
                f"GET {len(paths):,} articles in turn, cache off (quotes, attributions)",
                script=loadgen.rotate_paths(paths),
            )
        page1 = "/v1/articles?limit=20"
        if "list_page1" in wanted:
            runner.measure("list_page1", cold, "GET /v1/articles page 1, cache off", path=page1)
        if "list_deep" in wanted:
            began = time.perf_counter()
            page, path = walk_cursor(cold.url, page1, pages=args.deep_page, budget=args.walk_budget)
            walked = time.perf_counter() - began
            runner.measure(
                "list_deep",
                cold,
                f"GET /v1/articles page {page:,} by cursor, cache off",
                path=path,
                note=f"walk to it: {walked:.0f} s",
            )
        if "category" in wanted:
            runner.measure(
                "category",
                cold,
                f"GET /v1/articles?category={ctx.category}, cache off",
                path=f"/v1/articles?category={ctx.category}",
            )
        if "include" in wanted:
            runner.measure(
                "include",
                cold,
                "GET /v1/articles?include=quotes,attributions, cache off",
                path="/v1/articles?include=quotes,attributions",
            )
        if "changes" in wanted:
            what = "GET /v1/changes (first page), cache off"
            status = _check(cold.url + "/v1/changes").status_code
            if status != 200:
                runner.skip("changes", what, f"GET /v1/changes answers {status}")
            else:
                runner.measure("changes", cold, what, path="/v1/changes")
        if "mixed" in wanted:
            what = "90 % GET article / 10 % PATCH article, 8 writers (one write in flight each), cache on"
            plan = prepare_mixed(hot.url, args.database_url, ctx, root=root, writers=8)
            if plan.script is None:
                runner.skip("mixed", what, plan.note)
            else:

                def script() -> str:
                    return prepare_mixed(hot.url, args.database_url, ctx, root=root, writers=8).script

                runner.measure("mixed", hot, what, script=script, threads=8, note=plan.note)
        for server in (hot, cold):
            memory[server.name] = dict(zip(("rss_mb", "peak_mb", "anon_mb"), server.memory(), strict=True))
    for workers in args.workers:
        if workers > 1:
            _hot_path_with_workers(runner, args, root, body_file, article_path, etag, workers)
    # The machine may be shared: the load average says how quiet it was around the run.
    return {
        "rows": [asdict(r) for r in runner.rows],
        "memory": memory,
        "context": {**ctx.describe(), "commit": commit, "load_before": load_before, "load_after": os.getloadavg()[0]},
        "duration_s": args.duration,
        "connections": args.connections,
    }


def _hot_path_with_workers(
    runner: Runner,
    args: argparse.Namespace,
    root: Path,
    body_file: Path,
    article_path: str,
    etag: str | None,
    workers: int,
) -> None:
    """The hot article and its 304 with `workers` processes each, against the bare app with as
    many: what `--workers N` buys on this machine."""
    suffix = f"@{workers}w"
    with servers.bare(body_file, workers=workers) as bare:
        runner.measure("bare" + suffix, bare, f"bare ASGI app, {workers} workers")
    with servers.gazette(f"gazette-{workers}w", args.database_url, cache=True, root=root, workers=workers) as hot:
        _check(hot.url + article_path).raise_for_status()
        runner.measure("article_hot" + suffix, hot, f"GET one article, cache on, {workers} workers", path=article_path)
        if etag:
            runner.measure(
                "revalidate_304" + suffix,
                hot,
                f"GET one article with If-None-Match, {workers} workers",
                path=article_path,
                headers=(f"If-None-Match: {etag}",),
            )


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f} ms"


def show(report: dict) -> None:
    c = report["context"]
    console.print(
        f"[bold]Gazette bench[/] · {c['articles']:,} articles on {c['engine']} · "
        f"{report['connections']} connections · {report['duration_s']:g} s per scenario · "
        f"commit {c['commit']} · {c['machine']} · load average "
        f"{c['load_before']:.1f} before, {c['load_after']:.1f} after"
    )
    table = Table(show_lines=False)
    for column in ("scenario", "req/s", "p50", "p99", "× bare", "errors", "what / note"):
        table.add_column(column, justify="right" if column in ("req/s", "× bare", "errors") else "left")
    for r in report["rows"]:
        table.add_row(
            r["scenario"],
            "" if r["rps"] is None else f"{r['rps']:,.0f}",
            _ms(r["p50_ms"]),
            _ms(r["p99_ms"]),
            "" if r["ratio"] is None else f"{r['ratio']:.2f}",
            "" if r["errors"] is None else str(r["errors"]),
            r["what"] + (f" ({r['note']})" if r["note"] else ""),
        )
    console.print(table)
    for name, m in report["memory"].items():
        console.print(
            f"resident memory, {name}: {m['rss_mb']:.0f} MB now, {m['peak_mb']:.0f} MB peak, "
            f"{m.get('anon_mb', 0):.0f} MB its own (not mapped files)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", type=float, default=10, help="Seconds per scenario.")
    parser.add_argument("--warmup", type=float, default=2, help="Seconds of warm-up per scenario.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (mixed uses 8).")
    parser.add_argument("--scenarios", default="", help=f"Comma-separated subset of {','.join(SCENARIOS)}.")
    parser.add_argument("--deep-page", type=int, default=5000, help="Page the cursor walks to.")
    parser.add_argument("--walk-budget", type=float, default=300, help="Seconds the walk may take.")
    parser.add_argument("--seed", type=int, default=1, help="Picks the sampled articles.")
    parser.add_argument(
        "--commit", help="Serve Gazette as of this git revision (e.g. HEAD) instead of the working tree."
    )
    parser.add_argument(
        "--workers",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[1],
        help="Comma-separated worker counts, e.g. 1,2: every scenario runs with one; "
        "the hot article and its 304 also with each other count, against a bare app with as many.",
    )
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args(argv)
    report = run(args)
    show(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
