"""Two Gazette processes on one database: a write through one is never served stale by the other.

Each test starts two real `uvicorn` processes on loopback ports against this run's database
(a SQLite file, or PostgreSQL), so each has its own response cache: only the purge broadcast
(cache_purge polling on SQLite, LISTEN/NOTIFY on PostgreSQL) can keep them honest.
"""

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.editorial import create, desk, patch, publish
from tests.support.factories import bearer, make_article, make_key
from tests.support.processes import gazette_process

WITHIN = 1.0  # seconds: how soon the other process must stop serving what was purged

pytestmark = pytest.mark.slow


@pytest.fixture
def two_servers(database_url) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with (
        gazette_process(database_url) as one,
        gazette_process(database_url) as two,
        httpx.Client(base_url=one, timeout=10) as a,
        httpx.Client(base_url=two, timeout=10) as b,
    ):
        yield a, b


def _settles(read, fresh) -> None:
    """`read()` must satisfy `fresh` within WITHIN seconds, and then every time after."""
    deadline = time.monotonic() + WITHIN
    while not fresh(read()):
        assert time.monotonic() < deadline, "still served stale after the purge should have arrived"
        time.sleep(0.02)
    for _ in range(20):
        assert fresh(read())


def _warm(client: httpx.Client, *paths: str) -> list[httpx.Response]:
    """GET each until the answer comes from the cache, and again once the purges of earlier
    writes (which may still be on their way, WITHIN) have surely arrived."""
    for round_ in range(2):
        responses = []
        for path in paths:
            deadline = time.monotonic() + 2 * WITHIN
            while (response := client.get(path)).headers["gazette-cache"] != "HIT":
                assert time.monotonic() < deadline, f"{path} is not kept"
                time.sleep(0.05)
            responses.append(response)
        if round_ == 0:
            time.sleep(WITHIN)
    return responses


def test_a_write_through_one_process_is_never_served_stale_by_the_other(two_servers, session):
    a, b = two_servers
    headers = desk(session)
    article = create(a, headers, title="Avant", status="published")
    other = make_article(session)
    _warm(b, f"/v1/articles/{article['id']}", "/v1/articles", f"/v1/articles/{other.id}")

    assert patch(a, headers, article, {"title": "Après"}).status_code == 200

    _settles(lambda: b.get(f"/v1/articles/{article['id']}").json()["title"], lambda title: title == "Après")
    _settles(lambda: [x["title"] for x in b.get("/v1/articles").json()["data"]], lambda titles: "Après" in titles)
    assert b.get(f"/v1/articles/{other.id}").headers["gazette-cache"] == "HIT"  # precisely: not everything


def test_an_article_published_through_one_process_appears_on_the_other(two_servers, session):
    a, b = two_servers
    headers = desk(session)
    draft = create(a, headers, title="Bientôt")
    assert _warm(b, f"/v1/articles/{draft['id']}")[0].status_code == 404

    assert publish(a, headers, draft["id"]).status_code == 200

    _settles(lambda: b.get(f"/v1/articles/{draft['id']}").status_code, lambda status: status == 200)


def test_a_key_revoked_through_one_process_stops_working_on_the_other(two_servers, session):
    a, b = two_servers
    admin = make_key(session, "admin")
    made = a.post("/v1/keys", json={"name": "cms", "scopes": ["content:read"]}, headers=bearer(admin)).json()
    reader = bearer(made["key"])
    for _ in range(3):  # the other process now knows the key, and would not look it up again
        assert b.get("/v1/articles", headers=reader).status_code == 200

    assert a.delete(f"/v1/keys/{made['id']}", headers=bearer(admin)).status_code == 204

    _settles(lambda: b.get("/v1/articles", headers=reader).status_code, lambda status: status == 401)
    assert a.get("/v1/articles", headers=reader).status_code == 401
