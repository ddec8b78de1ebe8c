"""Load a deterministic synthetic archive into an empty Gazette database, fast.

    python bench/generate.py --database-url sqlite:////tmp/bench.db --articles 1000000 --seed 1
    python bench/generate.py --database-url postgresql://postgres@127.0.0.1:5432/gazette_bench \
        --articles 1000000
"""

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import datagen
from loaders import loader_for
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)
# Articles per batch and transaction. Fixed, because each batch seeds its own random
# generator: article n is then the same whatever --articles and --workers say.
BATCH = 2000
_ENTITIES: datagen.Entities | None = None
_SEED = 1


def _init_worker(entities: datagen.Entities, seed: int) -> None:
    global _ENTITIES, _SEED
    _ENTITIES, _SEED = entities, seed


def _make_batch(span: tuple[int, int]) -> dict[str, list[tuple]]:
    start, count = span
    return datagen.article_batch(_ENTITIES, _SEED, start, count)


def _batches(articles: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(size, articles - start)) for start in range(0, articles, size)]


def _bounded(pool, spans: list[tuple[int, int]], *, ahead: int) -> Iterator[dict]:
    """Batches in order, with at most `ahead` made but not yet written: memory stays flat
    however much faster the workers are than the database."""
    pending: deque = deque()
    for span in spans:
        pending.append(pool.apply_async(_make_batch, (span,)))
        if len(pending) > ahead:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def _gazette(url: str, *args: str) -> float:
    """Run a `gazette` command on the database; returns the seconds it took."""
    step = time.perf_counter()
    env = {**os.environ, "GAZETTE_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - step


def generate(url: str, articles: int, *, seed: int, workers: int, reindex: bool, documents: bool) -> dict:
    """Migrate, then load; returns the timings and row counts."""
    from app.store import migrate

    timings: dict[str, float] = {}
    began = time.perf_counter()
    migrate.upgrade("heads", url)
    from app.store.engine import make_engine

    make_engine(url).dispose()  # the loader needs the database to itself
    timings["migrate"] = time.perf_counter() - began

    loader = loader_for(url)
    if loader.count_articles():
        raise SystemExit("The database already holds articles: give generate.py an empty one.")
    entities = datagen.build_entities(seed)
    counts: Counter[str] = Counter()
    step = time.perf_counter()
    loader.prepare()
    for table in datagen.ENTITY_TABLES:
        loader.write(table, entities.rows[table])
        counts[table] += len(entities.rows[table])
    loader.commit()

    spans = _batches(articles, BATCH)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"articles → {loader.engine}", total=articles)
        if workers > 0:
            context = multiprocessing.get_context("fork")
            pool = context.Pool(workers, initializer=_init_worker, initargs=(entities, seed))
            produced = _bounded(pool, spans, ahead=2 * workers)
        else:
            _init_worker(entities, seed)
            pool, produced = None, map(_make_batch, spans)
        try:
            for (_, count), rows in zip(spans, produced, strict=True):
                for table in datagen.ARTICLE_TABLES:
                    loader.write(table, rows[table])
                    counts[table] += len(rows[table])
                loader.commit()
                progress.advance(task, count)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    timings["load"] = time.perf_counter() - step

    step = time.perf_counter()
    with console.status("rebuilding indexes and constraints"):
        loader.rebuild_indexes()
    timings["indexes"] = time.perf_counter() - step
    step = time.perf_counter()
    with console.status("analyze"):
        loader.analyze()
    timings["analyze"] = time.perf_counter() - step

    if documents:  # what single-article reads answer from, as writes would have built them
        timings["documents"] = _gazette(url, "documents", "rebuild")
    if reindex:
        timings["reindex"] = _gazette(url, "search", "reindex")
    timings["total"] = time.perf_counter() - began
    return {"timings": timings, "rows": dict(counts)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="sqlite:///… or postgresql://…")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=None, help="Processes that make rows (default: the CPU count; 0 for none)."
    )
    parser.add_argument("--reindex", action="store_true", help="Run `gazette search reindex` afterwards.")
    parser.add_argument(
        "--no-documents",
        dest="documents",
        action="store_false",
        help="Skip `gazette documents rebuild` (reads then build articles live "
        "until the background job has built them).",
    )
    args = parser.parse_args(argv)
    workers = args.workers
    if workers is None:
        workers = (os.cpu_count() or 1) if args.articles >= 20_000 else 0
    result = generate(
        args.database_url,
        args.articles,
        seed=args.seed,
        workers=workers,
        reindex=args.reindex,
        documents=args.documents,
    )
    t = result["timings"]
    console.print(
        f"[green]{args.articles:,} articles in {t['total']:.1f} s[/] "
        + " · ".join(f"{k} {v:.1f} s" for k, v in t.items() if k != "total")
    )
    console.print("rows: " + ", ".join(f"{k} {v:,}" for k, v in result["rows"].items()))
    if not args.reindex:
        console.print("Search index: run `gazette search reindex` (or pass --reindex).")


if __name__ == "__main__":
    main()
