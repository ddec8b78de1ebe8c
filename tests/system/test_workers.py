"""`gazette serve --workers 2`: each worker has its own response cache, and a write through
either one is never served stale by the other."""

import time

import httpx

from app.store import migrate
from tests.conftest import _create_database
from tests.support.processes import gazette, gazette_serve


def _fresh(base: str, method: str, path: str, **kwargs) -> httpx.Response:
    """On a new connection: the kernel hands new connections to either worker."""
    with httpx.Client(base_url=base, timeout=10, headers={"Connection": "close"}) as c:
        return c.request(method, path, **kwargs)


def test_a_write_through_one_worker_purges_what_every_worker_cached(tmp_path):
    url, drop = _create_database(tmp_path)
    try:
        migrate.upgrade("heads", url)
        secret = (
            gazette(url, "keys", "create", "--name", "w", "--scopes", "content:write,content:publish")
            .strip()
            .splitlines()[-1]
        )
        writer = {"Authorization": f"Bearer {secret}"}
        with gazette_serve(url, "--no-migrate", "--workers", "2") as (base, _):
            created = _fresh(
                base, "POST", "/v1/articles", headers=writer, json={"title": "Avant", "status": "published"}
            )
            assert created.status_code == 201, created.text
            path = f"/v1/articles/{created.json()['id']}"
            for _ in range(20):  # both workers read it, and cache it
                assert _fresh(base, "GET", path).json()["title"] == "Avant"

            patched = _fresh(
                base, "PATCH", path, json={"title": "Après"}, headers={**writer, "If-Match": created.headers["etag"]}
            )
            assert patched.status_code == 200, patched.text

            # The other worker hears of the purge by the broadcast (on SQLite, polled every
            # 200 ms): once it has, no read from either worker is stale again.
            deadline = time.monotonic() + 10
            while _fresh(base, "GET", path).json()["title"] != "Après" or {
                _fresh(base, "GET", path).json()["title"] for _ in range(4)
            } != {"Après"}:
                assert time.monotonic() < deadline, "a worker still serves the article as it was"
                time.sleep(0.05)
            titles = {_fresh(base, "GET", path).json()["title"] for _ in range(20)}
        assert titles == {"Après"}
    finally:
        drop()
