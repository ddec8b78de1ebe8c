"""The cold path: a page of articles costs a fixed number of SQL statements whatever its size."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.cache.listener import THREAD_NAME
from app.db import get_engine, get_read_engine
from tests.factories import make_article, make_person, make_source


@contextmanager
def _statements() -> Iterator[list[str]]:
    """Every statement the server sends while the block runs (the test server runs in this
    process, so its engine is this one), leaving out the cache's purge listener."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if threading.current_thread().name != THREAD_NAME:
            seen.append(statement)

    engines = {get_engine(), get_read_engine()}  # one on SQLite; on PostgreSQL reads autocommit
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


def test_a_page_costs_the_same_number_of_queries_at_any_size(client, session):
    make_person(session, "john-kerry")
    make_source(session, "le-figaro")
    for n in range(12):
        make_article(
            session,
            quotes=[{"text": f"Phrase {n}.", "speaker": "john-kerry"}, {"text": "Et une autre.", "speaker": "john-kerry"}],
            attributions=[{"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro"}],
        )
    include = {"include": "quotes,attributions"}

    with _statements() as small:
        page = client.get("/v1/articles", params={"limit": 5, **include})
    with _statements() as large:
        everything = client.get("/v1/articles", params={"limit": 100, **include})

    assert len(page.json()["data"]) == 5 and len(everything.json()["data"]) == 12
    assert everything.json()["data"][0]["quotes"] and everything.json()["data"][0]["attributions"]
    assert 0 < len(small) == len(large)
