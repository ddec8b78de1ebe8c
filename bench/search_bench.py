"""Search latency: p50, p95 and p99 of GET /v1/articles?q=… on an archive made by bench/generate.py.

    python bench/generate.py --database-url sqlite:////tmp/bench.db --articles 100000 --reindex
    python bench/search_bench.py --database-url sqlite:////tmp/bench.db

By default each query runs in-process through the same service call the endpoint makes
(parse, match, rank, filter, build the page), one at a time, warm: it measures search, not
HTTP. With --base-url it asks a running `gazette serve` over HTTP instead.

In process, the CPU column is the mean CPU time of a query (ms): this process's, plus on
PostgreSQL that of the database backends serving it (to a clock tick, 10 ms, over all rounds).
On a machine other work shares, it is the figure to read: wall times there measure the load.
"""

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console
from rich.table import Table

console = Console(stderr=True)

# (kind, parameters): words of bench/vocabulary.py, so every query finds something.
QUERIES = [
    ("common word (fr)", {"q": "crise"}),
    ("common word (en)", {"q": "government", "lang": "en"}),
    ("two words (fr)", {"q": "réforme retraites"}),
    ("two words, stemmed (en)", {"q": "refugee negotiations"}),
    ("place, accents folded", {"q": "Teheran"}),
    ("three words", {"q": "crise gouvernement Berlin"}),
    ('"phrase"', {"q": '"cessez-le-feu"'}),
    ("OR", {"q": "grève OR manifestation"}),
    ("-exclusion", {"q": "sanctions -Moscou"}),
    ("with category filter", {"q": "sommet", "category": "international"}),
    ("with highlight", {"q": "élection", "highlight": "true"}),
    ("sorted by date", {"q": "budget", "sort": "-published_at"}),
    ("rare pair", {"q": "Dakar vaccin"}),
]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _in_process(url: str):
    os.environ["GAZETTE_DATABASE_URL"] = url
    from sqlmodel import Session

    from app.articles import reads
    from app.articles.queries import ArticleListParams
    from app.store.engine import get_read_engine

    engine = get_read_engine()

    def run(params: dict) -> int:
        with Session(engine) as session:
            _, page = reads.list_public(session, ArticleListParams.model_validate(params))
            return page.total if page.total is not None else len(page.items)

    return run


def _over_http(base_url: str):
    import httpx

    client = httpx.Client(base_url=base_url, timeout=60)

    def run(params: dict) -> int:
        response = client.get("/v1/articles", params=params)
        response.raise_for_status()
        body = response.json()
        return body["meta"].get("total", len(body["data"]))

    return run


def _count_articles(url: str) -> int:
    os.environ["GAZETTE_DATABASE_URL"] = url
    from sqlalchemy import func, select
    from sqlmodel import Session

    from app.store.engine import get_read_engine
    from app.store.models import Article

    with Session(get_read_engine()) as session:
        return session.scalar(select(func.count()).select_from(Article))


class CPU:
    """CPU seconds spent so far by this process and, on PostgreSQL, by the database's
    backends serving it (found once, after the warm-up): on a machine shared with other
    work, wall time measures the machine's load as much as the query. In process only."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, url: str) -> None:
        self.backends: list[int] = []
        if url.startswith("postgresql"):
            import psycopg

            with psycopg.connect(url, autocommit=True) as c:
                self.backends = [
                    row[0]
                    for row in c.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                ]

    def seconds(self) -> float:
        total = time.process_time()
        for pid in self.backends:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / self.TICK  # utime, stime
        return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="the archive to search")
    parser.add_argument("--base-url", help="ask a running server over HTTP instead")
    parser.add_argument("--rounds", type=int, default=20, help="times each query runs")
    parser.add_argument("--highlight", action="store_true", help="ask every query with highlight=true")
    parser.add_argument(
        "--ranked-limit",
        type=int,
        help="in process: rank at most so many matches per language instead of app.search.kinds.RANKED_LIMIT "
        "(what a smaller bound would give; the API's bound stays as it is)",
    )
    parser.add_argument("--only", help="the queries whose kind holds one of these words (comma-separated)")
    parser.add_argument("--no-count", action="store_true", help="leave out the matches column (a count=true per query)")
    args = parser.parse_args(argv)
    queries = [
        (kind, {**params, "highlight": "true"} if args.highlight else params)
        for kind, params in QUERIES
        if not args.only or any(word in kind for word in args.only.split(","))
    ]

    run = _over_http(args.base_url) if args.base_url else _in_process(args.database_url)
    if args.ranked_limit:
        if args.base_url:
            raise SystemExit("--ranked-limit works in process only, not with --base-url")
        from app.search import kinds

        kinds.RANKED_LIMIT = args.ranked_limit
    total = _count_articles(args.database_url)
    for _, params in queries:  # warm caches and connections once
        run(params)
    if not args.base_url:
        # As `gazette serve` does once started (app/main.py): what start-up and the warm-up
        # made is kept out of the collector's sight. Without it, a full collection walked it all
        # once in a few rounds, 85 ms in this process, the p99 of whichever query it fell on.
        gc.collect()
        gc.freeze()
    timings: dict[str, list[float]] = {kind: [] for kind, _ in queries}
    cpu = None if args.base_url else CPU(args.database_url)
    spent: dict[str, float] = dict.fromkeys(timings, 0.0)
    for _ in range(args.rounds):
        for kind, params in queries:
            before = cpu.seconds() if cpu else 0.0
            began = time.perf_counter()
            run(params)
            timings[kind].append((time.perf_counter() - began) * 1000)
            spent[kind] += (cpu.seconds() - before) if cpu else 0.0
    # How many articles each query matches, asked once more with count=true, untimed: the
    # cost of a relevance search grows with it (every match is ranked).
    # (`--no-count`: on SQLite at 1,000,000 articles a count with q takes tens of seconds a query.)
    matches = {kind: None if args.no_count else run({**params, "count": "true"}) for kind, params in queries}

    engine = args.database_url.split(":", 1)[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    title = f"search on {engine}, {total:,} articles, {args.rounds} rounds (ms); load {load}"
    if args.ranked_limit:
        title += f", ranking at most {args.ranked_limit:,} matches per language"
    table = Table(title=title + (", every query with highlight=true" if args.highlight else ""))
    columns = ["query", "q", "matches", "p50", "p95", "p99"] + (["CPU"] if cpu else [])
    for column in columns:
        table.add_column(column, justify="left" if column in ("query", "q") else "right")
    for kind, params in queries:
        values = timings[kind]
        table.add_row(
            kind,
            params["q"],
            "–" if matches[kind] is None else f"{matches[kind]:,}",
            f"{statistics.median(values):.1f}",
            f"{_percentile(values, 0.95):.1f}",
            f"{_percentile(values, 0.99):.1f}",
            *([f"{spent[kind] / len(values) * 1000:.1f}"] if cpu else []),
        )
    every = [v for values in timings.values() for v in values]
    table.add_row(
        "[bold]all queries[/]",
        "",
        "",
        f"[bold]{statistics.median(every):.1f}[/]",
        f"[bold]{_percentile(every, 0.95):.1f}[/]",
        f"[bold]{_percentile(every, 0.99):.1f}[/]",
        *([f"[bold]{sum(spent.values()) / len(every) * 1000:.1f}[/]"] if cpu else []),
    )
    Console().print(table)


if __name__ == "__main__":
    main()
