"""Many nodes behind a CDN (tests/support/testbed.py): two nodes reading from a streaming
replica whose replay is held back, Varnish in front, `gazette purger` purging it.

- No node, and not Varnish, serves an old version of an article, a list or a feed for longer
  than the replica's lag, and none keeps one once the replica has replayed the write.
- A client that writes with its key reads its write at once on every node (by id, by slug,
  in a list, in the change feed), however far behind the replica is.
- Past GAZETTE_REPLICA_MAX_LAG_SECONDS a node reads from the primary.
- A node keeps answering while the replica or Redis is stopped, and uses them again once back.
"""

import statistics
import time
import uuid
from collections import Counter

import httpx
import pytest

from tests.support import testbed
from tests.support.editorial import create, patch

# The bed brings its own primary and replica: it runs once, in the PostgreSQL pass.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(testbed.missing() is not None, reason=str(testbed.missing())),
]

DELAY = 3.0  # the replica's recovery_min_apply_delay, seconds
WRITES = 4
SLACK = 2.0  # past the lag: the watch's round, the purger's 0.5 s, Varnish, a loaded machine
MAX_LAG = 5.0  # the bed's GAZETTE_REPLICA_MAX_LAG_SECONDS


def test_many_nodes_behind_varnish_with_a_replica():
    """One test bed for every scenario (it takes most of a minute to start), in one test so
    that pytest-xdist never starts two."""
    with testbed.multinode() as bed:
        _delayed_replica_stale_no_longer_than_its_lag_and_keyed_clients_read_their_writes(bed)
        _past_the_lag_bound_a_node_reads_from_the_primary(bed)
        _a_node_answers_while_the_replica_or_redis_is_stopped_and_uses_them_again(bed)


def _views(article: dict) -> dict[str, str]:
    return {"article": f"/v1/articles/{article['id']}", "list": "/v1/articles", "feed": "/feeds/rss.xml"}


def _places(bed: testbed.MultiNode) -> dict[str, str]:
    return {"varnish": bed.edge, **{f"node{i}": url for i, url in enumerate(bed.nodes, start=1)}}


def _readiness(node: str) -> dict:
    return httpx.get(f"{node}/readyz", timeout=5).json()


def _until_everywhere(
    bed: testbed.MultiNode, article: dict, text: str, within: float, since: float | None = None
) -> dict[str, float]:
    """Read every view at every place, anonymously, until each shows `text`. For each, when
    (seconds from now) the last read that still got something else was sent: how long it was
    served stale, whatever the time a round of reads takes; and "old seen", 1.0 when any was.
    Times count from `since` (a time.monotonic()), by default now."""
    start = since if since is not None else time.monotonic()
    waiting = {
        (place, view): f"{url}{path}" for place, url in _places(bed).items() for view, path in _views(article).items()
    }
    seen: dict[str, float] = {"old seen": 0.0}
    while waiting:
        for (place, view), url in list(waiting.items()):
            sent = time.monotonic() - start
            if text in httpx.get(url, timeout=5).text:
                seen.setdefault(f"{place} {view}", 0.0)
                del waiting[(place, view)]
            else:
                seen[f"{place} {view}"] = sent
                seen["old seen"] = 1.0
        assert time.monotonic() - start < within, f"still old after {within} s: {sorted(waiting)}"
        time.sleep(0.02)
    return seen


def _delayed_replica_stale_no_longer_than_its_lag_and_keyed_clients_read_their_writes(bed):
    headers = bed.key()
    nodes = bed.nodes
    with httpx.Client(base_url=nodes[0], timeout=10) as first:
        article = create(first, headers, title=f"Version 0 {uuid.uuid4().hex[:6]}", status="published")
    _until_everywhere(bed, article, article["title"], 30)
    bed.delay_replica(DELAY)
    stale: list[float] = []
    old_seen = False
    lags: list[float] = []
    try:
        for write in range(1, WRITES + 1):
            title = f"Version {write} {uuid.uuid4().hex[:6]}"
            with httpx.Client(base_url=nodes[write % len(nodes)], timeout=10) as writer:
                current = writer.get(f"/v1/articles/{article['id']}", headers=headers).json()
                written = patch(writer, headers, current, {"title": title})
                committed = time.monotonic()
            assert written.status_code == 200, written.text
            version = written.json()["version"]
            # Read-your-writes: the writer's key reads it at once on every node.
            for node in nodes:
                with httpx.Client(base_url=node, timeout=10, headers=headers) as keyed:
                    assert keyed.get(f"/v1/articles/{article['id']}").json()["title"] == title
                    assert keyed.get(f"/v1/articles/slug/{current['slug']}").json()["title"] == title
                    assert title in keyed.get("/v1/articles").text
                    changes = keyed.get("/v1/changes", params={"limit": 100}).json()["data"]
                    assert any(c["id"] == article["id"] and c["version"] == version for c in changes), changes
            # The lag each node reports grows from the commit until the replica replays it: read
            # it until it shows (at most half the hold-back, so the write is still unreplayed).
            while True:
                lag = max(r["lag_seconds"] or 0 for node in nodes for r in _readiness(node)["replicas"])
                if lag > 0.5 or time.monotonic() - committed > DELAY / 2:
                    break
                time.sleep(0.05)
            lags.append(lag)
            seen = _until_everywhere(bed, article, title, DELAY + 20, since=committed)
            old_seen = old_seen or bool(seen.pop("old seen"))
            stale.append(max(seen.values()))
            # Once the replica has the write, nothing goes back to the old version.
            for place, url in _places(bed).items():
                for view, path in _views(article).items():
                    assert title in httpx.get(f"{url}{path}", timeout=5).text, f"{place} {view} went back"
    finally:
        bed.delay_replica(0)
    print(
        f"\nstale after a write, replica {DELAY} s behind: "
        f"max {max(stale):.2f} s, median {statistics.median(stale):.2f} s"
    )
    assert old_seen, "the replica was never behind: this test shows nothing"
    assert max(lags) > 0.5, f"no lag was reported while the replica was held back: {lags}"
    assert max(stale) < DELAY + SLACK, f"stale for {max(stale):.2f} s, the replica {DELAY} s behind"


def _past_the_lag_bound_a_node_reads_from_the_primary(bed):
    headers = bed.key()
    with httpx.Client(base_url=bed.nodes[0], timeout=10) as first:
        article = create(first, headers, title=f"Lent {uuid.uuid4().hex[:6]}", status="published")
    _until_everywhere(bed, article, article["title"], 30)
    delay = MAX_LAG + 8
    bed.delay_replica(delay)
    try:
        title = f"Lent 2 {uuid.uuid4().hex[:6]}"
        with httpx.Client(base_url=bed.nodes[1], timeout=10) as writer:
            assert patch(writer, headers, article, {"title": title}).status_code == 200
        written = time.monotonic()
        path = f"/v1/articles/{article['id']}"
        for node in bed.nodes:
            while title not in httpx.get(f"{node}{path}", timeout=5).text:
                assert time.monotonic() - written < delay - 1, "the node waited for the replica"
                time.sleep(0.05)
        took = time.monotonic() - written
        assert took > MAX_LAG - 1, f"new after {took:.1f} s: the replica was not behind"
        state = _readiness(bed.nodes[0])
        assert state["reads_from"] == "primary", state
        assert state["replicas"][0]["lag_seconds"] > MAX_LAG, state
    finally:
        bed.delay_replica(0)
    deadline = time.monotonic() + delay + 10
    while _readiness(bed.nodes[0])["reads_from"] == "primary":  # caught up: back in use
        assert time.monotonic() < deadline, "the replica never came back into use"
        time.sleep(0.2)


def _hammer(bed: testbed.MultiNode, headers: dict[str, str], seconds: float, article: dict) -> Counter:
    """Anonymous and keyed reads on every node for `seconds`: how many got each status (or error)."""
    got: Counter = Counter()
    end = time.monotonic() + seconds
    paths = [f"/v1/articles/{article['id']}?n={{}}", "/v1/articles?limit={}"]
    n = 0
    while time.monotonic() < end:
        for node in bed.nodes:
            for path in paths:
                n += 1
                for extra in ({}, headers):
                    try:
                        answer = httpx.get(f"{node}{path.format(n % 50 + 1)}", headers=extra, timeout=5)
                        got[answer.status_code] += 1
                        if answer.status_code == 503:
                            assert answer.headers["retry-after"] == "1", answer.headers
                    except httpx.HTTPError as error:
                        got[type(error).__name__] += 1
    return got


def _a_node_answers_while_the_replica_or_redis_is_stopped_and_uses_them_again(bed):
    headers = bed.key()
    with httpx.Client(base_url=bed.nodes[0], timeout=10) as first:
        article = create(first, headers, title=f"Panne {uuid.uuid4().hex[:6]}", status="published")
    _until_everywhere(bed, article, article["title"], 30)

    bed.replica.stop()
    stopped = time.monotonic()
    try:
        # Requests that were using a connection to the replica when it went, or came before the
        # node noticed (within its watch's round), get 503 with Retry-After: 1; none gets a 500.
        while any(_readiness(node)["reads_from"] != "primary" for node in bed.nodes):
            assert time.monotonic() - stopped < 10, "the nodes never stopped reading from the stopped replica"
        noticed = time.monotonic() - stopped
        got = _hammer(bed, headers, 4, article)
        print(f"\nreplica stopped: noticed within {noticed:.2f} s, then {dict(got)}")
        assert set(got) == {200}, got
        for node in bed.nodes:
            state = _readiness(node)
            assert state["reads_from"] == "primary" and not state["replicas"][0]["up"], state
    finally:
        bed.replica.start()
    back = time.monotonic()
    while any(_readiness(node)["reads_from"] == "primary" for node in bed.nodes):
        assert time.monotonic() - back < 30, "the replica never came back into use"
        time.sleep(0.1)
    print(f"replica back in use {time.monotonic() - back:.2f} s after it started (stopped {back - stopped:.1f} s)")
    assert set(_hammer(bed, headers, 1, article)) == {200}

    bed.stop_redis()
    try:
        got = _hammer(bed, headers, 3, article)
        print(f"Redis stopped: {dict(got)}")
        assert set(got) == {200}, got  # rate limits are not applied meanwhile; nothing fails
    finally:
        bed.start_redis()
    assert set(_hammer(bed, headers, 1, article)) == {200}
