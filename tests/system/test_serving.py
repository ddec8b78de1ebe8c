"""Serving in production: request ids on every response, /readyz's verdicts, the access log."""

import re
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.support.factories import make_article
from tests.support.processes import gazette, gazette_serve

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_request_id_is_generated_when_absent(client):
    assert HEX32.fullmatch(client.get("/healthz").headers["x-request-id"])


def test_sane_request_id_is_echoed(client):
    sent = "edge-7f3a:2026/12/06~req.42"
    assert client.get("/healthz", headers={"X-Request-ID": sent}).headers["x-request-id"] == sent


@pytest.mark.parametrize("insane", ["a" * 129, "has space", "tab\there", ""])
def test_insane_request_id_is_replaced(client, insane):
    answered = client.get("/healthz", headers={"X-Request-ID": insane}).headers["x-request-id"]
    assert HEX32.fullmatch(answered)


def test_request_id_on_a_cached_hit(client, session):
    article = make_article(session)
    first = client.get(f"/v1/articles/{article.id}", headers={"X-Request-ID": "first"})
    second = client.get(f"/v1/articles/{article.id}", headers={"X-Request-ID": "second"})
    assert second.headers["gazette-cache"] == "HIT"
    assert (first.headers["x-request-id"], second.headers["x-request-id"]) == ("first", "second")
    assert HEX32.fullmatch(client.get(f"/v1/articles/{article.id}").headers["x-request-id"])


def test_request_id_on_a_problem(client):
    response = client.get("/v1/nothing-here", headers={"X-Request-ID": "lost-1"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["x-request-id"] == "lost-1"


def test_ready_when_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ready"}


@pytest.fixture(scope="module")
def behind(tmp_path_factory) -> Iterator[str]:
    """`gazette serve --no-migrate` on a SQLite file one migration below head."""
    from app.store import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('behind') / 'behind.db'}"
    migrate.upgrade("heads", url)
    migrate.downgrade("-1", url)
    with gazette_serve(url, "--no-migrate") as (base, _):
        yield base


def test_not_ready_when_migrations_are_behind(behind):
    response = httpx.get(f"{behind}/readyz", timeout=10)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "migrations behind: at " in response.json()["detail"]
    assert ", head " in response.json()["detail"]
    assert httpx.get(f"{behind}/healthz", timeout=10).status_code == 200


@pytest.fixture(scope="module")
def unreachable() -> Iterator[str]:
    with gazette_serve("postgresql://postgres@127.0.0.1:1/gazette", "--no-migrate") as (base, _):
        yield base


def test_not_ready_when_the_database_is_unreachable(unreachable):
    response = httpx.get(f"{unreachable}/readyz", timeout=10)
    assert response.status_code == 503
    assert "does not answer" in response.json()["detail"]
    assert httpx.get(f"{unreachable}/healthz", timeout=10).status_code == 200


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """`gazette serve --access-log` with JSON logs on a fresh SQLite file, and a key's secret."""
    url = f"sqlite:///{tmp_path_factory.mktemp('logged') / 'logged.db'}"
    from app.store import migrate

    migrate.upgrade("heads", url)
    created = gazette(url, "keys", "create", "--name", "logtest", "--scopes", "content:read")
    secret = created.strip().splitlines()[-1]
    with gazette_serve(url, "--no-migrate", "--access-log", GAZETTE_LOG_FORMAT="json") as (base, log):
        yield base, log, secret


def _access_lines(log) -> list[dict]:
    lines = [orjson.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "gazette.access"]


def test_access_log_writes_one_json_line_per_request(logged):
    base, log, secret = logged
    anonymous = httpx.get(f"{base}/v1/articles", timeout=10)
    keyed = httpx.get(f"{base}/v1/articles?limit=1", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    missing = httpx.get(f"{base}/nowhere", timeout=10)
    ids = {r.headers["x-request-id"]: r for r in (anonymous, keyed, missing)}
    for _ in range(100):  # the process writes its lines as it answers; give it a moment
        lines = {line["request_id"]: line for line in _access_lines(log) if line["request_id"] in ids}
        if len(lines) == 3:
            break
        time.sleep(0.05)
    assert set(lines) == set(ids)
    for request_id, line in lines.items():
        assert {"time", "level", "logger", "message", "duration_ms", "client"} <= set(line)
        assert line["method"] == "GET" and line["status"] == ids[request_id].status_code
    assert lines[anonymous.headers["x-request-id"]]["path"] == "/v1/articles"
    assert lines[anonymous.headers["x-request-id"]]["key"] is None
    assert lines[keyed.headers["x-request-id"]]["key"] == "logtest"
    assert lines[missing.headers["x-request-id"]]["status"] == 404


def test_sigterm_lets_a_request_in_flight_finish(tmp_path):
    """A request whose body is still arriving when the server is told to stop gets its whole
    answer; the server exits once it is sent, and takes no new connection meanwhile."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    from tests.support.processes import ROOT, free_port

    url = f"sqlite:///{tmp_path / 'drain.db'}"
    port = free_port()
    env = {**os.environ, "GAZETTE_DATABASE_URL": url, "GAZETTE_RUN_BACKGROUND_JOBS": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--graceful-timeout", "30"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and process.poll() is None, "gazette serve did not start"
                time.sleep(0.1)
        body = b'{"enabled": false, "reason": "x"}'
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(
                b"PUT /v1/settings/comments HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:5]
            )
            time.sleep(0.5)  # the request is in: its body is not
            process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert process.poll() is None  # still draining
            s.sendall(body[5:])
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]  # answered in full: no key, 401
        # Then it stops, as uvicorn does after a drain: by the signal it was sent (or 0).
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
