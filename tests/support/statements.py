"""The SQL statements the server sends while a block runs."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.cache.listener import THREAD_NAME
from app.store.engine import get_engine, get_read_engine
from app.store.sessions import LOOP_WRITES


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement the server sends while the block runs (the test server runs in this
    process, so its engine is this one), leaving out the cache's purge listener."""
    seen: list[str] = []

    with statement_threads() as sent:
        yield seen
        seen.extend(statement for statement, _ in sent)


@contextmanager
def statement_threads() -> Iterator[list[tuple[str, str]]]:
    """Like `statements`, each with the name of the thread that sent it."""
    seen: list[tuple[str, str]] = []

    def count(conn, cursor, statement, *args) -> None:
        if (thread := threading.current_thread().name) != THREAD_NAME:
            seen.append((statement, thread))

    engines = {get_engine(), get_read_engine()}  # one on SQLite; on PostgreSQL reads autocommit
    engines.update(LOOP_WRITES.engines())  # PostgreSQL: write endpoints' statements
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
