"""Bounded requests: `gazette serve` refuses a head too large, too many headers, a target too
long, a head or body sent too slowly, and drops idle keep-alive connections; each refusal is
a problem+json 4xx or a closed connection, and none costs memory."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.processes import Served, served

HEADER_TIMEOUT = 2
BODY_TIMEOUT = 2
KEEP_ALIVE = 1


@pytest.fixture(scope="module")
def server(database_url) -> Iterator[Served]:
    with served(
        database_url,
        "--no-migrate",
        start_within=120,
        GAZETTE_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT),
        GAZETTE_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
        GAZETTE_KEEP_ALIVE_TIMEOUT_SECONDS=str(KEEP_ALIVE),
    ) as running:
        yield running


def _connect(server: Served) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def _send_all(sock: socket.socket, pieces: Iterator[bytes]) -> None:
    """Send until done or until the server stops reading (it answered and closed)."""
    try:
        for piece in pieces:
            sock.sendall(piece)
    except OSError:
        pass


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The response the server sent, read until it closes the connection."""
    data = b""
    try:
        while chunk := sock.recv(65_536):
            data += chunk
    except ConnectionResetError:
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return int(status_line.split(" ")[1]), headers, body


def _problem(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict:
    assert status == expected, body
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = orjson.loads(body)
    assert problem["status"] == expected
    return problem


def _big_header(megabytes: int) -> Iterator[bytes]:
    yield b"GET /healthz HTTP/1.1\r\nHost: gazette\r\nX-Big: "
    piece = b"a" * 65_536
    for _ in range(megabytes * 16):
        yield piece


def test_a_10_mb_header_is_refused_431(server):
    with _connect(server) as sock:
        _send_all(sock, _big_header(10))
        problem = _problem(*_answer(sock), 431)
    assert "65536 bytes" in problem["detail"]


def test_too_many_header_fields_are_refused_431(server):
    with _connect(server) as sock:
        fields = b"".join(b"X-Field-%d: %d\r\n" % (n, n) for n in range(150))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gazette\r\n" + fields + b"\r\n")
        problem = _problem(*_answer(sock), 431)
    assert "100 header fields" in problem["detail"]


def test_heads_within_the_limits_are_served_even_many_in_one_packet(server):
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gazette\r\nCookie: " + b"c" * 40_000 + b"\r\n\r\n")
        data = b""
        while b'"ok"}' not in data:
            data += sock.recv(65_536)
        assert data.startswith(b"HTTP/1.1 200")
        # 2,000 requests pipelined in one go, 100 KB in all: each head is small, so none is refused.
        one = b"GET /healthz HTTP/1.1\r\nHost: gazette\r\nX-Padding: " + b"p" * 10 + b"\r\n\r\n"
        sock.sendall(one * 1_999 + one.replace(b"Host: gazette", b"Host: gazette\r\nConnection: close"))
        data = b""
        while chunk := sock.recv(65_536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 2_000 and b"HTTP/1.1 4" not in data


def test_a_long_url_is_refused_414_as_a_problem(server):
    response = httpx.get(f"{server.url}/v1/articles", params={"q": "a" * 20_000}, timeout=30)
    assert response.status_code == 414
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "URI too long"


def test_a_request_that_is_not_http_is_a_problem(server):
    with _connect(server) as sock:
        sock.sendall(b"HELLO THERE\r\n\r\n")
        _problem(*_answer(sock), 400)


def test_a_slowloris_connection_is_answered_408_and_closed_after_the_header_timeout(server):
    started = time.monotonic()
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gazette\r\n")

        def drip() -> Iterator[bytes]:
            for n in range(60):  # a header line every half second, for 30 s if let
                time.sleep(0.5)
                yield b"X-Drip-%d: %d\r\n" % (n, n)

        dripping = threading.Thread(target=_send_all, args=(sock, drip()), daemon=True)
        dripping.start()
        problem = _problem(*_answer(sock), 408)
        closed_after = time.monotonic() - started
    assert HEADER_TIMEOUT - 0.5 < closed_after < HEADER_TIMEOUT + 8
    assert "head" in problem["detail"]


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(server):
    started = time.monotonic()
    with _connect(server) as sock:
        _problem(*_answer(sock), 408)
    assert time.monotonic() - started < HEADER_TIMEOUT + 8


def test_a_body_that_stops_coming_is_answered_408(server):
    with _connect(server) as sock:
        sock.sendall(
            b"POST /v1/articles HTTP/1.1\r\nHost: gazette\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"title": '
        )
        started = time.monotonic()
        _problem(*_answer(sock), 408)
    assert BODY_TIMEOUT - 0.5 < time.monotonic() - started < BODY_TIMEOUT + 8


def test_an_idle_keep_alive_connection_is_closed(server):
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gazette\r\n\r\n")
        data = b""
        while b'"ok"}' not in data:
            data += sock.recv(4_096)
        assert data.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert sock.recv(4_096) == b""  # closed by the server, nothing more said
    assert time.monotonic() - started < KEEP_ALIVE + 8


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_unfinished_25_mb_headers_on_20_connections_cost_no_memory(server):
    assert httpx.get(f"{server.url}/v1/articles").status_code == 200  # warm: what a first request loads
    before = _rss_bytes(server.pid)
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _rss_bytes(server.pid))

    def attack(_: int) -> None:
        sock = _connect(server)
        try:
            _send_all(sock, _big_header(25))  # never finished: no blank line
        finally:
            sock.close()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    attackers = [threading.Thread(target=attack, args=(n,)) for n in range(20)]
    for thread in attackers:
        thread.start()
    for thread in attackers:
        thread.join(timeout=120)
    time.sleep(0.5)
    done.set()
    sampler.join()
    peak = max(peak, _rss_bytes(server.pid))
    assert peak - before < 50_000_000, f"resident memory grew by {(peak - before) / 1e6:.0f} MB"
    assert httpx.get(f"{server.url}/healthz").status_code == 200
