"""Stored documents survive the ways users load data: after `gazette import` (or the demo load,
which goes through it) into a fresh database, `gazette serve` with background jobs off answers
every cold single-article read from the stored documents, counted on /metrics; and documents
that were built for another site are never served.

Each test runs real `gazette` commands in processes of their own against this run's database
(a SQLite file, or PostgreSQL), from empty tables, so no process has vouched for anything."""

import re
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.support.processes import gazette, gazette_serve

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parents[2] / "app" / "demo" / "content.ndjson"


def _documents(database_url: str) -> int:
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return c.execute(sa.text("SELECT count(*) FROM article_document WHERE NOT stale")).scalar_one()
    finally:
        engine.dispose()


def _direct_reads(c: httpx.Client) -> dict[str, float]:
    """What /metrics says answered the cold single-article reads: {"document": n, "built": n}."""
    text = c.get("/metrics").text
    found = re.findall(r'^gazette_article_direct_reads_total\{answer="(\w+)"\} (\S+)$', text, re.M)
    return {answer: float(value) for answer, value in found}


def _read_every_article(c: httpx.Client) -> list[dict]:
    ids = [item["id"] for item in c.get("/v1/articles", params={"limit": 100}).json()["data"]]
    assert ids
    answers = [c.get(f"/v1/articles/{article_id}") for article_id in ids]
    assert {r.status_code for r in answers} == {200}
    return [r.json() for r in answers]


def test_cold_reads_after_an_import_come_from_the_stored_documents(database_url):
    gazette(database_url, "import", str(DEMO))
    built = _documents(database_url)
    assert built > 0
    for _ in range(2):  # the first start, and the next one
        with (
            gazette_serve(database_url, "--no-migrate", GAZETTE_RESPONSE_CACHE_ENABLED="false") as (url, _),
            httpx.Client(base_url=url, timeout=30) as c,
        ):
            assert c.get("/readyz").status_code == 200  # the start-up check has run
            assert _documents(database_url) == built
            articles = _read_every_article(c)
            assert _direct_reads(c) == {"document": len(articles), "built": 0}
    assert _documents(database_url) == built


def test_documents_built_for_another_site_are_not_served(database_url):
    gazette(database_url, "import", str(DEMO))  # under this run's GAZETTE_SITE_URL
    with (
        gazette_serve(
            database_url,
            "--no-migrate",
            GAZETTE_RESPONSE_CACHE_ENABLED="false",
            GAZETTE_SITE_URL="https://news.example.net",
        ) as (url, _),
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        assert c.get("/readyz").status_code == 200
        assert _documents(database_url) == 0  # all marked stale, none thrown away
        articles = _read_every_article(c)
        assert _direct_reads(c) == {"document": 0, "built": len(articles)}
        assert all(a["url"].startswith("https://news.example.net/") for a in articles)
