"""SQLite's write-ahead log is brought back to GAZETTE_SQLITE_WAL_LIMIT_BYTES after a burst of
writes, instead of keeping its largest size for good."""

import os
import time

import httpx
import orjson
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import IS_POSTGRES
from tests.support.factories import bearer, make_key
from tests.support.processes import gazette_process

pytestmark = [pytest.mark.slow, pytest.mark.skipif(IS_POSTGRES, reason="SQLite's write-ahead log")]

LIMIT = 1_000_000


def _wal_size(database_url: str) -> int:
    path = f"{make_url(database_url).database}-wal"
    return os.path.getsize(path) if os.path.exists(path) else 0


def test_the_wal_shrinks_back_to_its_limit_after_many_writes(database_url, session):
    secret = make_key(session, "content:write", "content:publish")
    text = "Un paragraphe assez long pour peser. " * 100
    body = b"".join(
        orjson.dumps(
            {
                "type": "article",
                "data": {
                    "external_id": f"wal-{n}",
                    "title": f"Article {n}",
                    "status": "published",
                    "body": [{"type": "paragraph", "text": f"{n} {text}"} for _ in range(4)],
                },
            }
        )
        + b"\n"
        for n in range(400)
    )
    with gazette_process(database_url, GAZETTE_SQLITE_WAL_LIMIT_BYTES=str(LIMIT)) as url:
        with httpx.Client(base_url=url, timeout=120) as client:
            report = client.post(
                "/v1/import", content=body, headers={"Content-Type": "application/x-ndjson", **bearer(secret)}
            ).json()
            grown = _wal_size(database_url)
            deadline = time.monotonic() + 20  # generous: the checkpointer looks twice a second
            while _wal_size(database_url) > LIMIT and time.monotonic() < deadline:
                client.get("/healthz")
                time.sleep(0.2)
            settled = _wal_size(database_url)

    assert report["created"] == 400 and report["errors"] == []
    assert grown > 3 * LIMIT  # the writes did take the log well past its limit
    assert settled <= LIMIT, f"the log stayed at {settled} bytes"
