"""Varnish in front of Gazette, purged by `gazette purger`: the stale time after a write, and
the change stream through it.

varnishd runs deploy/varnish/gazette.vcl (its backend's port changed to the Gazette node's)
in front of a Gazette process, with `gazette purger` sending xkey purges. After each PATCH of
an article, the article, a list and the RSS feed are read through Varnish until they show the
write: the stale time. GAZETTE_STALE_WRITES sets how many writes (30 by default; the figures
in docs/production.md are from 100).
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.editorial import create, desk, feed_tail, patch
from tests.support.events import events
from tests.support.factories import make_article
from tests.support.processes import ROOT, free_port, gazette_process

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("varnishd") is None, reason="varnishd is not installed (apt-get install varnish)"),
]

VCL = ROOT / "deploy" / "varnish" / "gazette.vcl"
WRITES = int(os.environ.get("GAZETTE_STALE_WRITES", "30"))
BOUND = 1.0  # seconds: the bound on stale time through the CDN


def _wait(url: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def varnish_in_front(database_url, tmp_path) -> Iterator[tuple[str, str, str]]:
    """(Varnish's URL, the node's URL, the purger's metrics URL)."""
    port, metrics = free_port(), free_port()
    edge = f"http://127.0.0.1:{port}"
    with gazette_process(database_url, GAZETTE_API_URL=edge) as node:
        node_port = node.rsplit(":", 1)[1]
        workdir = Path(tempfile.mkdtemp(prefix="gazette-varnish-"))
        workdir.chmod(0o755)  # varnishd started by root drops to its own user
        vcl = workdir / "gazette.vcl"
        vcl.write_text(VCL.read_text().replace('.port = "8000";', f'.port = "{node_port}";'))
        vcl.chmod(0o644)
        with (workdir / "varnishd.log").open("wb") as log:
            varnishd = subprocess.Popen(
                [
                    *("varnishd", "-F", "-n", str(workdir / "n"), "-a", f"127.0.0.1:{port}", "-f", str(vcl)),
                    *("-s", "malloc,64m", "-T", "127.0.0.1:0"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        env = {
            **os.environ,
            "GAZETTE_DATABASE_URL": database_url,
            "GAZETTE_PURGER_TARGET": "varnish",
            "GAZETTE_PURGER_URL": edge,
            "GAZETTE_PURGER_STATE_FILE": str(tmp_path / "purger.json"),
            "GAZETTE_PURGER_METRICS_PORT": str(metrics),
        }
        with (tmp_path / "purger.log").open("wb") as log:
            purger = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "purger"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
            )
        try:
            _wait(f"{edge}/healthz")
            _wait(f"http://127.0.0.1:{metrics}/metrics")
            yield edge, node, f"http://127.0.0.1:{metrics}/metrics"
        finally:
            _stop(purger)
            _stop(varnishd)
            shutil.rmtree(workdir, ignore_errors=True)


def _cached(cdn: httpx.Client, path: str) -> httpx.Response:
    deadline = time.monotonic() + 10
    while (response := cdn.get(path)).headers.get("x-cache") != "HIT":
        assert time.monotonic() < deadline, f"Varnish does not keep {path}: {response.headers}"
        time.sleep(0.02)
    return response


def test_through_varnish_a_write_is_stale_for_under_a_second(varnish_in_front, session):
    edge, node, metrics = varnish_in_front
    headers = desk(session)
    with httpx.Client(base_url=node, timeout=10) as origin, httpx.Client(base_url=edge, timeout=10) as cdn:
        article = create(origin, headers, title="Titre 0", status="published")
        paths = {
            "article": f"/v1/articles/{article['id']}",
            "list": "/v1/articles",
            "rss": "/feeds/rss.xml",
        }
        hit = _cached(cdn, paths["article"])
        assert "gazette-cache" not in hit.headers and "xkey" not in hit.headers  # the origin's header is stripped
        keyed = [cdn.get(paths["article"], headers=headers) for _ in range(2)]
        assert [r.headers["x-cache"] for r in keyed] == ["MISS", "MISS"]  # with a key: passed, never kept
        assert keyed[0].headers["cache-control"] == "private, no-store"
        time.sleep(1)  # purges of the creation, through the purger, have surely arrived

        stale: dict[str, list[float]] = {name: [] for name in paths}
        for write in range(1, WRITES + 1):
            for path in paths.values():
                _cached(cdn, path)
            title = f"Titre {write} {uuid.uuid4().hex[:8]}"
            current = origin.get(paths["article"], headers=headers).json()
            assert patch(origin, headers, current, {"title": title}).status_code == 200
            written = time.monotonic()
            waiting = dict(paths)
            while waiting:
                for name, path in list(waiting.items()):
                    if title in cdn.get(path).text:
                        stale[name].append(time.monotonic() - written)
                        del waiting[name]
                assert time.monotonic() - written < 10, f"{list(waiting)} still stale after 10 s"
                time.sleep(0.005)

    figures = {
        name: (statistics.median(times), statistics.quantiles(times, n=100, method="inclusive")[98])
        for name, times in stale.items()
    }
    print(f"\nstale time through Varnish over {WRITES} writes (p50, p99, seconds):")
    for name, (p50, p99) in figures.items():
        print(f"  {name:8} {p50:.3f} {p99:.3f}")
    for name, (_p50, p99) in figures.items():
        assert p99 < BOUND, f"{name}: p99 stale time {p99:.3f} s"
    sent = httpx.get(metrics, timeout=5).text
    assert re.search(r"^gazette_purger_requests_total\{outcome=\"ok\"\} [1-9]", sent, re.M), sent


SSE = {"Accept": "text/event-stream"}


def _stream(edge: str, last_event_id: str):
    # A read timeout far below the heartbeat (15 s): an event Varnish held back fails the read.
    headers = {**SSE, "Last-Event-ID": last_event_id}
    return httpx.stream("GET", f"{edge}/v1/changes", headers=headers, timeout=httpx.Timeout(5, read=5))


def _next_change(stream_events) -> dict:
    return next(event for event in stream_events if "data" in event)


def test_through_varnish_the_change_stream_comes_as_written_and_resumes_with_last_event_id(varnish_in_front, session):
    edge, node, _ = varnish_in_front
    with httpx.Client(base_url=node, timeout=10) as origin:
        make_article(session)  # a feed to start from
        start = feed_tail(origin)
    with httpx.Client(base_url=edge, timeout=10) as cdn:
        _cached(cdn, "/v1/changes")  # the JSON page of the same URL, kept by Varnish
    written, received = [], []

    with _stream(edge, start) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-cache"] == "MISS" and response.headers["cache-control"] == "no-cache"
        stream = events(response)
        for _ in range(3):  # each change is read while the stream is open, before the next is written
            written.append(make_article(session).id)
            received.append(_next_change(stream))
    written += [make_article(session).id for _ in range(2)]  # while nobody listens
    with _stream(edge, received[-1]["id"]) as response:
        assert response.headers["x-cache"] == "MISS"
        stream = events(response)
        received += [_next_change(stream) for _ in range(2)]  # what was missed, from Last-Event-ID
        written.append(make_article(session).id)
        received.append(_next_change(stream))

    with httpx.Client(base_url=node, timeout=10) as origin:
        feed = origin.get("/v1/changes", params={"since": start, "limit": 100}).json()["data"]
    assert [e["data"]["id"] for e in received] == written  # no gap, no repeat, in commit order
    assert [e["id"] for e in received] == [c["cursor"] for c in feed]
    with httpx.Client(base_url=edge, timeout=10) as cdn:
        page = cdn.get("/v1/changes")
    assert page.headers["content-type"].startswith("application/json")  # the stream was never kept
