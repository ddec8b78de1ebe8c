"""The change feed under concurrent writers on PostgreSQL: nothing skipped, nothing repeated."""

import random
import threading
import time

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.articles import writes
from app.articles.schemas import ArticleCreate
from app.changes import feed as changes
from app.store.engine import get_engine
from app.store.models import Change

pytestmark = pytest.mark.postgres

WRITERS = 10
WRITES_EACH = 30


def _write_many(seed: int, errors: list) -> None:
    """Create articles, each in its own transaction held open a random while, so that
    transactions commit out of the order in which they took their ids."""
    rng = random.Random(seed)
    try:
        for n in range(WRITES_EACH):
            with Session(get_engine(), expire_on_commit=False) as s:
                data = ArticleCreate.model_validate(
                    {
                        "title": f"Writer {seed} article {n}",
                        "status": "published",
                        "body": [{"type": "paragraph", "text": "Concurrent."}],
                    }
                )
                article = writes.create(s, data)
                if n % 3 == 2:  # and sometimes a second change to it, the same change (its last state)
                    article.title += " (updated)"
                    article.version += 1
                    writes.after_write(s, article, was_public=True, event="article.updated")
                time.sleep(rng.uniform(0, 0.03))
                s.commit()
    except Exception as exc:
        errors.append(exc)


def _decode_id(cursor: str) -> int:
    return changes.decode_cursor(cursor)[1]


def test_poller_sees_every_change_exactly_once_while_many_writers_commit(client):
    errors: list = []
    writers = [threading.Thread(target=_write_many, args=(i, errors)) for i in range(WRITERS)]
    seen: list[int] = []
    cursor = None
    for w in writers:
        w.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        writing = any(w.is_alive() for w in writers)
        body = client.get("/v1/changes", params={"limit": 37, **({"since": cursor} if cursor else {})}).json()
        seen += [_decode_id(c["cursor"]) for c in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if not writing and not body["meta"]["has_more"]:
            with Session(get_engine()) as s:
                total = len(s.scalars(select(Change.id)).all())
            if len(seen) >= total:
                break
    for w in writers:
        w.join()

    with Session(get_engine()) as s:
        in_table = set(s.scalars(select(Change.id)))
        twice = s.scalars(select(Change.id).where(Change.version == 2)).all()
    assert errors == []
    assert len(twice) == WRITERS * (WRITES_EACH // 3)  # the change shows the article's last version
    assert len(in_table) == WRITERS * WRITES_EACH  # one change per article and transaction
    assert len(seen) == len(set(seen)), "a change was served twice"
    assert set(seen) == in_table, f"{len(in_table - set(seen))} changes were skipped"


def test_an_earlier_transaction_that_commits_late_is_not_skipped(client):
    early, late = Session(get_engine()), Session(get_engine())
    try:
        changes.record(early, resource_type="tag", resource_id="a" * 26, op="upsert", version=1)
        early.flush()  # takes the smaller id, and stays open
        changes.record(late, resource_type="tag", resource_id="b" * 26, op="upsert", version=1)
        late.commit()

        response = client.get("/v1/changes")
        while_open = response.json()
        early.commit()
        after = client.get("/v1/changes", params={"since": while_open["meta"]["next_cursor"]}).json()
    finally:
        early.close(), late.close()

    assert while_open["data"] == []  # held back, not skipped: "a" is still in flight
    assert "no-store" in response.headers["cache-control"]  # and not cached meanwhile
    assert [c["id"] for c in after["data"]] == ["a" * 26, "b" * 26]


def test_changes_to_one_resource_keep_commit_order(client):
    older, newer = Session(get_engine()), Session(get_engine())
    x = "x" * 26
    try:
        changes.record(older, resource_type="tag", resource_id="o" * 26, op="upsert", version=1)
        older.flush()  # this transaction takes its id first…
        changes.record(newer, resource_type="tag", resource_id=x, op="upsert", version=1)
        newer.commit()  # …but the other one changes x first
        changes.record(older, resource_type="tag", resource_id=x, op="upsert", version=2)
        older.commit()
    finally:
        older.close(), newer.close()

    feed = client.get("/v1/changes").json()["data"]

    assert [c["version"] for c in feed if c["id"] == x] == [1, 2]
