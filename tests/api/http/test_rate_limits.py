"""Rate limits, over HTTP, on servers in processes of their own started with tiny limits.

Each test calls from a loopback address of its own (127.0.0.x), so that one test's counts
are not another's: the server counts anonymous requests and failed keys per address."""

import itertools
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from tests.support.factories import bearer, make_key
from tests.support.processes import gazette_process

pytestmark = pytest.mark.slow

LIMITS = {
    "GAZETTE_RATE_LIMIT_PER_ADDRESS": "5/4second",
    "GAZETTE_RATE_LIMIT_PER_KEY": "4/minute",
    "GAZETTE_RATE_LIMIT_FAILED_AUTH": "3/minute",
}


def _serving(database_url: str, log: Path, **settings: str):
    """tests.support.processes.gazette_process with limiting on (the shared test server has it off)."""
    return gazette_process(database_url, log=log, GAZETTE_RATE_LIMIT_ENABLED="true", **settings)


@pytest.fixture(scope="module")
def limited(database_url, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("ratelimit") / "server.log"
    with _serving(database_url, log, **LIMITS) as url:
        yield url, log


_LIMITS = itertools.count(1)


def _uncached() -> str:
    """A public read no test asked for yet: the response cache does not hold it."""
    return f"/v1/articles?limit={next(_LIMITS)}"


def _client(url: str, address: str) -> httpx.Client:
    """A client whose requests come from `address` (any 127.x.y.z reaches the server)."""
    return httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=address))


def _exhaust_address(c: httpx.Client, count: int = 5) -> httpx.Response:
    """`count` uncached reads, then one more: that last answer."""
    for _ in range(count):
        r = c.get(_uncached())
        assert r.status_code == 200, r.text
    return c.get(_uncached())


def test_429_past_the_address_limit_with_retry_after_and_headers(limited):
    url, _ = limited
    with _client(url, "127.0.0.11") as c:
        first = c.get(_uncached())
        assert first.headers["RateLimit-Policy"] == '"per-address";q=5;w=4'
        assert first.headers["RateLimit"].startswith('"per-address";r=4;t=')
        for _ in range(4):
            assert c.get(_uncached()).status_code == 200
        refused = c.get(_uncached())
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429 and refused.json()["title"] == "Too many requests"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Policy"] == '"per-address";q=5;w=4'
    assert refused.headers["RateLimit"].startswith('"per-address";r=0;t=')


def test_reads_the_response_cache_answers_are_not_counted(limited):
    url, _ = limited
    with _client(url, "127.0.0.12") as c:
        hot = _uncached()
        answers = [c.get(hot) for _ in range(12)]  # one miss, then hits
        assert [r.status_code for r in answers] == [200] * 12
        assert answers[-1].headers["Gazette-Cache"] == "HIT" and "RateLimit" not in answers[-1].headers
        # Only the miss was counted.
        assert c.get(_uncached()).headers["RateLimit"].startswith('"per-address";r=3;')


def test_requests_pass_again_once_the_window_frees(limited):
    url, _ = limited
    with _client(url, "127.0.0.13") as c:
        assert _exhaust_address(c).status_code == 429
        deadline, again = time.monotonic() + 60, _uncached()
        while (r := c.get(again)).status_code == 429:
            assert time.monotonic() < deadline, "still limited long after the window"
            time.sleep(0.25)
    assert r.status_code == 200


def test_keys_are_counted_apart_from_the_address(limited, session):
    url, _ = limited
    secret, other = make_key(session, "content:read"), make_key(session, "content:read", name="other")
    with _client(url, "127.0.0.14") as c:
        assert _exhaust_address(c).status_code == 429
        keyed = [c.get(_uncached(), headers=bearer(secret)) for _ in range(4)]
        assert [r.status_code for r in keyed] == [200] * 4
        assert keyed[0].headers["RateLimit-Policy"] == '"per-key";q=4;w=60'
        refused = c.get("/v1/articles", headers=bearer(secret))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["RateLimit"].startswith('"per-key";r=0;t=')
        assert c.get("/v1/articles", headers=bearer(other)).status_code == 200


def test_bad_keys_lock_the_address_out_of_keyed_requests(limited, session):
    url, log = limited
    secret = make_key(session, "content:read")
    with _client(url, "127.0.0.15") as c:
        for n in range(3):
            assert c.get("/v1/articles", headers=bearer(f"gz_wrong{n}")).status_code == 401
        assert c.get("/v1/articles", headers=bearer("gz_wrong3")).status_code == 429
        refused = c.get("/v1/articles", headers=bearer(secret))  # even a good key, before it is looked at
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["RateLimit-Policy"] == '"failed-auth";q=3;w=60'
        assert "127.0.0.15" in refused.json()["detail"]
        assert c.get(_uncached()).status_code == 200  # anonymous reads still work
    with _client(url, "127.0.0.16") as elsewhere:
        assert elsewhere.get("/v1/articles", headers=bearer(secret)).status_code == 200
    deadline = time.monotonic() + 10
    while "127.0.0.15" not in log.read_text():
        assert time.monotonic() < deadline, "no log line names the address"
        time.sleep(0.1)
    assert "too many failed authentications from 127.0.0.15" in log.read_text()


def test_the_defaults_answer_every_anonymous_read_from_one_address(database_url, tmp_path):
    """A front end's server, or a CDN's few addresses, sends every reader's misses: with the
    default settings none of them is refused, however many come in a minute (the lockout of
    failed keys stays on)."""
    with _serving(database_url, tmp_path / "server.log") as url, _client(url, "127.0.0.31") as c:

        def read(n: int) -> tuple[int, bool]:
            # A published_after of its own: each read misses the response cache.
            after = (datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
            r = c.get("/v1/articles", params={"limit": 1, "published_after": after})
            return r.status_code, "RateLimit" in r.headers

        with ThreadPoolExecutor(4) as pool:
            answers = Counter(pool.map(read, range(3_000)))
        # The lockout of failed keys is on by default: 20 a minute.
        assert {c.get("/v1/articles", headers=bearer(f"gz_wrong{n}")).status_code for n in range(20)} == {401}
        assert c.get("/v1/articles", headers=bearer("gz_wrong20")).status_code == 429
    # Every one answered, and none counted (no RateLimit header): however fast they came, no
    # window could have refused them (on a quiet machine the 3,000 take well under a minute).
    assert answers == {(200, False): 3_000}


def test_the_per_address_limit_is_off_unless_set():
    from app.settings import Settings

    assert Settings().rate_limit_per_address is None
    assert Settings(rate_limit_per_address="").rate_limit_per_address is None
    assert Settings(rate_limit_per_address="600/minute").rate_limit_per_address == "600/minute"


def test_a_limit_that_does_not_parse_is_refused_at_start_up():
    from app.settings import Settings

    with pytest.raises(ValidationError, match="'lots' is not a rate limit"):
        Settings(rate_limit_failed_auth="lots")


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_processes_on_one_redis_share_their_counts(database_url, tmp_path):
    settings = {
        "GAZETTE_REDIS_URL": "redis://127.0.0.1:6379/0",
        "GAZETTE_RATE_LIMIT_PREFIX": f"gazette-test-{uuid.uuid4().hex}",
        "GAZETTE_RATE_LIMIT_PER_ADDRESS": "4/minute",
    }
    with (
        _serving(database_url, tmp_path / "a.log", **settings) as a,
        _serving(database_url, tmp_path / "b.log", **settings) as b,
        _client(a, "127.0.0.21") as to_a,
        _client(b, "127.0.0.21") as to_b,
    ):
        assert to_a.get(_uncached()).status_code == 200
        assert to_b.get(_uncached()).status_code == 200
        assert to_a.get(_uncached()).status_code == 200
        last = to_b.get(_uncached())
        assert last.status_code == 200 and last.headers["RateLimit"].startswith('"per-address";r=0;')
        assert to_a.get(_uncached()).status_code == 429
        assert to_b.get(_uncached()).status_code == 429
