"""`gazette import` on PostgreSQL in several processes at once.

In one process an import alternates: Python builds a batch's rows, then waits while
PostgreSQL writes them, and each side idles while the other works (at a million articles,
the importer and its backend each used half a core; bench/README.md). Here the file is read
and cut into batches as `importer.import_file` does, and a batch of article lines that name
no other article (no `translation_of`) goes to a pool of worker processes, each with its own
connection, so that several batches are built and written side by side. Such a batch
depends only on what the lines before the articles wrote (categories, people, sources,
tags, authors), and those are committed by then: any other batch first waits for every batch
in flight, then is written here, in its place. Each batch is still one transaction written by
`Importer.flush`, with its bulk path and its line-by-line fallback, so a line's outcome and
errors are what one process gives.

One thing differs: batches written side by side make their ids in the same moments, so the
ids of neighbouring batches' articles interleave, and an export (which lists articles by id)
lists them in that order, not the file's. SQLite takes one writer at a time, so there the
import stays in one process.
"""

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from typing import Any, BinaryIO

import orjson
from sqlmodel import Session

from app.transfer import importer
from app.transfer.importer import Importer, ImportReport

Batch = list[tuple[int, bytes | None]]

_writer: Importer | None = None  # a worker's own, for all its batches (and its planner statistics)


def _start_worker(setup: Callable[[], None]) -> None:
    global _writer
    from app.store.sessions import write_session

    setup()
    _writer = Importer(write_session(), None)


def _write(batch: Batch) -> ImportReport:
    """In a worker: one batch, one transaction, as `import_file` writes it."""
    assert _writer is not None, "the pool starts each worker with _start_worker"
    return _writer.write(batch)


def independent(batch: Batch) -> bool:
    """Whether every line of the batch is an article line naming no other article: then it
    can be written beside other such batches, in any order."""
    for _, raw in batch:
        try:
            line: Any = orjson.loads(raw) if raw is not None else None
        except orjson.JSONDecodeError:
            return False
        if not isinstance(line, dict) or line.get("type") != "article":
            return False  # an over-long line (None), not an object, or another kind: written here
        data = line.get("data")
        if not isinstance(data, dict) or data.get("translation_of") is not None:
            return False
    return True


def import_file(
    session: Session,
    lines: BinaryIO | Iterable[bytes],
    *,
    jobs: int,
    setup: Callable[[], None],
    on_progress: Callable[[int], None] | None = None,
    batch_lines: int = importer.BATCH_LINES,
) -> ImportReport:
    """Import an NDJSON file with `jobs` worker processes (see the module's docstring); the
    report is the one `importer.import_file` gives. Each worker calls `setup` first: what the
    command installed in this process (app.wiring: the stored documents built at each commit,
    the purges), a module-level function, since the worker is a new interpreter."""
    report, here = ImportReport(), Importer(session, None)
    in_flight: deque[tuple[Future[ImportReport], int]] = deque()

    def settle(keep: int) -> None:
        """Wait for the oldest batches in flight until `keep` are left, in the file's order."""
        while len(in_flight) > keep:
            future, read = in_flight.popleft()
            report.add(future.result())
            if on_progress:
                on_progress(read)

    context = get_context("spawn")  # a fresh interpreter: no connection of this one is shared
    start = partial(_start_worker, setup)
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=start) as pool:
        for batch, number, read in importer.batches(lines, batch_lines):
            report.lines = number
            if independent(batch):
                in_flight.append((pool.submit(_write, batch), read))
                settle(2 * jobs)  # a few batches ahead of the slowest: memory stays flat
                continue
            settle(0)
            report.add(here.write(batch))
            if on_progress:
                on_progress(read)
        settle(0)
    here.statistics.settle(session, report.created)
    report.errors.sort(key=lambda error: error.line)
    return report
