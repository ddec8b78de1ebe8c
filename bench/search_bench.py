"""Search latency: p50 and p95 of GET /v1/articles?q=… on an archive made by bench/generate.py.

    python bench/generate.py --database-url sqlite:////tmp/bench.db --articles 100000 --reindex
    python bench/search_bench.py --database-url sqlite:////tmp/bench.db

By default each query runs in-process through the same service call the endpoint makes
(parse, match, rank, filter, build the page), one at a time, warm: it measures search, not
HTTP. With --base-url it asks a running `gazette serve` over HTTP instead.
"""

import argparse
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="the archive to search")
    parser.add_argument("--base-url", help="ask a running server over HTTP instead")
    parser.add_argument("--rounds", type=int, default=20, help="times each query runs")
    args = parser.parse_args(argv)

    run = _over_http(args.base_url) if args.base_url else _in_process(args.database_url)
    total = _count_articles(args.database_url)
    for _, params in QUERIES:  # warm caches and connections once
        run(params)
    timings: dict[str, list[float]] = {kind: [] for kind, _ in QUERIES}
    for _ in range(args.rounds):
        for kind, params in QUERIES:
            began = time.perf_counter()
            run(params)
            timings[kind].append((time.perf_counter() - began) * 1000)
    # How many articles each query matches, asked once more with count=true, untimed: the
    # cost of a relevance search grows with it (every match is ranked).
    matches = {kind: run({**params, "count": "true"}) for kind, params in QUERIES}

    engine = args.database_url.split(":", 1)[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    table = Table(title=f"search on {engine}, {total:,} articles, {args.rounds} rounds (ms); load {load}")
    for column in ("query", "q", "matches", "p50", "p95"):
        table.add_column(column, justify="left" if column in ("query", "q") else "right")
    for kind, params in QUERIES:
        values = timings[kind]
        table.add_row(
            kind,
            params["q"],
            f"{matches[kind]:,}",
            f"{statistics.median(values):.1f}",
            f"{_percentile(values, 0.95):.1f}",
        )
    every = [v for values in timings.values() for v in values]
    table.add_row(
        "[bold]all queries[/]",
        "",
        "",
        f"[bold]{statistics.median(every):.1f}[/]",
        f"[bold]{_percentile(every, 0.95):.1f}[/]",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
