"""Slow or many clients cost bytes, not threads or connections: 48 clients reading the export
slowly leave /healthz, cached reads and the database pool alone, and hold no snapshot open;
when the pool is exhausted anyway, a request gets a 503 with Retry-After within the pool's
timeout, never a 500 after SQLAlchemy's 30 s."""

import contextlib
import os
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from app.cache.middleware import BUFFER_LIMIT
from tests.conftest import IS_POSTGRES
from tests.support.editorial import desk
from tests.support.processes import served

READERS = 48
ARTICLES = 600  # two export batches of 500: the export is read in several transactions
# About 18 KB an article: the export is 11 MB, its first batch 9 MB. The response cache holds a
# cacheable GET answer back until it has BUFFER_LIMIT (8 MB) of it (the export says no-store and
# is streamed on at once, but older code held it too): a smaller export would be read whole into
# the server's memory before its first byte went out, and an export that held its connection
# until the last byte would hold it no longer than it took to read, so the test would miss it.
PARAGRAPH = " ".join(f"mot{n}" for n in range(1_400))  # about 9 KB, two an article


def _archive(client: httpx.Client, headers: dict[str, str]) -> None:
    lines = (
        orjson.dumps(
            {
                "type": "article",
                "data": {
                    "external_id": f"slow-{n}",
                    "title": f"Article {n}",
                    "status": "published",
                    "body": [{"type": "paragraph", "text": f"{n} {PARAGRAPH}"}] * 2,
                },
            }
        )
        for n in range(ARTICLES)
    )
    response = client.post(
        "/v1/import",
        content=b"\n".join(lines) + b"\n",
        headers={**headers, "Content-Type": "application/x-ndjson"},
        timeout=600,
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == ARTICLES, response.text[:1_000]


class SlowReader:
    """A client reading GET /v1/export through a small receive window, a little at a time."""

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)  # before connecting: the window
        self.sock.settimeout(60)
        self.sock.connect((host, int(port)))
        self.sock.sendall(b"GET /v1/export HTTP/1.1\r\nHost: gazette\r\n\r\n")
        self.received = b""
        while b"\r\n" not in self.received:
            chunk = self.sock.recv(4_096)
            assert chunk, "the server closed the export"
            self.received += chunk
        self.status = int(self.received.split(b" ", 2)[1])
        self.size = len(self.received)
        self.sock.setblocking(False)

    def trickle(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self.size += len(self.sock.recv(2_048))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def readers_stalled() -> Iterator[list[SlowReader]]:
    readers: list[SlowReader] = []
    yield readers
    for reader in readers:
        reader.close()


def _trickling(readers: list[SlowReader], stop: threading.Event) -> None:
    while not stop.wait(0.25):  # about 8 KB/s each
        for reader in readers:
            reader.trickle()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _settled(pid: int) -> None:
    """Wait (a minute at most) until the server has read and sent what the readers' windows and
    its buffers take, and is idle: from then on the readers only wait on their sockets."""
    deadline = time.monotonic() + 60
    before = _cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1)
        now = _cpu_seconds(pid)
        if now - before < 0.2:
            return
        before = now


def _pool_in_use(metrics: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "gazette_db_pool_connections_in_use"
    )


def _idle_in_transaction(database_url: str) -> list[tuple]:
    engine = sa.create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text(
                    "SELECT pid, state, backend_xmin::text, left(query, 80) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state LIKE 'idle in transaction%'"
                )
            ).all()
    finally:
        engine.dispose()


@pytest.mark.slow
def test_slow_readers_of_the_export_hold_no_thread_connection_or_snapshot(
    database_url, client, session, readers_stalled
):
    headers = desk(session)
    _archive(client, headers)
    whole = client.get("/v1/export", timeout=120)
    # More than the response cache holds back and the socket buffers take: the readers stall.
    assert whole.status_code == 200 and len(whole.content) > BUFFER_LIMIT + 2_000_000

    # A small pool (4 + 4 on PostgreSQL): 48 readers each holding a connection would exhaust it.
    with served(database_url, "--no-migrate", start_within=120, GAZETTE_POOL_SIZE="4") as server:
        cached = f"{server.url}/v1/articles?limit=5"
        assert httpx.get(cached).status_code == 200
        assert httpx.get(cached).headers["gazette-cache"] == "HIT"

        with ThreadPoolExecutor(8) as pool:
            readers_stalled.extend(pool.map(lambda _: SlowReader(server.url), range(READERS)))
        stop = threading.Event()
        trickler = threading.Thread(target=_trickling, args=(readers_stalled, stop), daemon=True)
        trickler.start()
        try:
            _settled(server.pid)  # every reader's export is under way and stalled on its window
            health, reads, uncached, in_use = [], [], [], []
            with httpx.Client(base_url=server.url, timeout=60) as probe:
                for n in range(200):
                    started = time.perf_counter()
                    assert probe.get("/healthz").status_code == 200
                    health.append(time.perf_counter() - started)
                    if n % 10 == 0:
                        started = time.perf_counter()
                        answer = probe.get(cached)
                        reads.append(time.perf_counter() - started)
                        assert answer.status_code == 200 and answer.headers["gazette-cache"] == "HIT"
                    if n % 10 == 5:
                        # A list the response cache has not seen (a limit of its own): it needs
                        # a pooled connection, which a reader holding one would have taken.
                        started = time.perf_counter()
                        answer = probe.get("/v1/articles", params={"limit": 10 + n // 10})
                        uncached.append((answer.status_code, time.perf_counter() - started))
                        in_use.append(_pool_in_use(probe.get("/metrics").text))
                    time.sleep(0.01)
                # A write meanwhile (it needs a pooled connection), then what it made: uncached.
                written = probe.post("/v1/articles", json={"title": "Written meanwhile"}, headers=headers, timeout=60)
            held = _idle_in_transaction(database_url) if IS_POSTGRES else []
        finally:
            stop.set()
            trickler.join()
            for reader in readers_stalled:
                reader.close()  # before the server stops: it would wait for their exports to end

        # What a reader holding a connection would show first: a snapshot held open (PostgreSQL),
        # a pool drained (the readers' own connections, then those of the requests below).
        assert held == [], f"backends idle in transaction while clients read: {held}"
        # The primary pool (on SQLite, the one pool; on PostgreSQL reads have their own, which
        # `held` covers): no reader's connection, only a request's now and then (1 when measured).
        assert max(in_use) <= 4, f"connections in use while {READERS} clients read: {in_use}"
        assert [r.status for r in readers_stalled] == [200] * READERS  # no 500, no 503
        # Every uncached list answered, none after waiting on the pool (generous: a loaded machine).
        assert [status for status, _ in uncached] == [200] * len(uncached), uncached
        assert max(took for _, took in uncached) < 3, f"uncached lists: {uncached}"
        assert written.status_code == 201, written.text
        assert max(r.size for r in readers_stalled) < len(whole.content)  # all still reading
        p99 = statistics.quantiles(health, n=100)[98]
        slowest = [round(t * 1000, 1) for t in sorted(health)[-5:]]
        assert p99 < 0.050, f"/healthz p99 {p99 * 1000:.1f} ms (slowest {slowest} ms)"
        assert max(reads) < 1.0, f"cached reads up to {max(reads) * 1000:.0f} ms"


def test_the_export_names_the_change_feed_cursor_it_started_from(client, session):
    headers = desk(session)
    first = client.post("/v1/articles", json={"title": "Before", "status": "published"}, headers=headers)
    assert first.status_code == 201, first.text
    exported = client.get("/v1/export")
    cursor = exported.headers["gazette-changes-cursor"]
    assert b'"Before"' in exported.content

    after = client.post("/v1/articles", json={"title": "After", "status": "published"}, headers=headers)
    assert after.status_code == 201, after.text
    changes = client.get("/v1/changes", params={"since": cursor}).json()["data"]
    assert [(c["type"], c["id"]) for c in changes] == [("article", after.json()["id"])]


@pytest.mark.postgres
@pytest.mark.slow
def test_an_exhausted_pool_answers_503_with_retry_after_within_its_timeout(database_url, client, session):
    """Two connections (pool size 1, one overflow), held by reads that wait on a table lock:
    the next reads wait GAZETTE_DATABASE_POOL_TIMEOUT_SECONDS for a connection, then get a 503."""
    desk(session)
    engine = sa.create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    with (
        served(
            database_url,
            "--no-migrate",
            start_within=120,
            GAZETTE_POOL_SIZE="1",
            GAZETTE_DATABASE_POOL_TIMEOUT_SECONDS="1",
        ) as srv,
        engine.connect() as locker,
    ):
        locker.execute(sa.text("LOCK TABLE article IN ACCESS EXCLUSIVE MODE"))

        def read(n: int) -> tuple[int, float, httpx.Response]:
            started = time.monotonic()
            # limit=n: a different URL each, so the response cache answers none of them
            answer = httpx.get(f"{srv.url}/v1/articles", params={"limit": n + 1}, timeout=60)
            return answer.status_code, time.monotonic() - started, answer

        with ThreadPoolExecutor(8) as pool:
            pending = [pool.submit(read, n) for n in range(8)]
            time.sleep(6)  # the waiters have had their second and more
            locker.rollback()  # the lock goes: the reads that held connections answer
            answers = [f.result() for f in pending]
    engine.dispose()

    statuses = sorted(status for status, _, _ in answers)
    assert set(statuses) <= {200, 503} and 503 in statuses, statuses
    for status, took, answer in answers:
        if status == 503:
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.headers["retry-after"] == "1"
            assert took < 6, f"a 503 after {took:.1f} s"
