"""The bench generator does not rot: a small archive loads, and Gazette serves it over HTTP."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import _create_database
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = 200
DRAFTS = sum(1 for n in range(ARTICLES) if n % 97 == 13)  # the generator's drafts


@pytest.fixture(scope="module")
def bench_server(tmp_path_factory) -> Iterator[str]:
    """bench/generate.py into a fresh database (SQLite, or PostgreSQL when the suite runs on
    it), then a Gazette process serving that database."""
    url, drop = _create_database(tmp_path_factory.mktemp("bench"))
    try:
        subprocess.run(
            [sys.executable, "bench/generate.py", "--database-url", url, "--articles", str(ARTICLES)],
            cwd=ROOT,
            check=True,
            timeout=120,
            capture_output=True,
        )
        port = free_port()
        env = {**os.environ, "GAZETTE_DATABASE_URL": url, "GAZETTE_RUN_BACKGROUND_JOBS": "false"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("Gazette did not start on the generated database") from None
                    time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        drop()


def test_generated_published_articles_are_all_listed(bench_server):
    body = httpx.get(bench_server + "/v1/articles", params={"count": "true", "limit": 1}).json()

    assert body["meta"]["total"] == ARTICLES - DRAFTS


def test_cursor_walks_the_generated_archive_once(bench_server):
    seen: list[str] = []
    params = {"limit": 100}
    with httpx.Client(base_url=bench_server) as client:
        while True:
            meta_and_data = client.get("/v1/articles", params=params).json()
            seen += [a["id"] for a in meta_and_data["data"]]
            if not meta_and_data["meta"]["has_more"]:
                break
            params["cursor"] = meta_and_data["meta"]["next_cursor"]

    assert len(seen) == len(set(seen)) == ARTICLES - DRAFTS


def test_generated_article_is_whole_and_consistent(bench_server):
    listing = httpx.get(bench_server + "/v1/articles", params={"limit": 100, "include": "quotes,attributions"}).json()[
        "data"
    ]
    quoted = next(a for a in listing if a["quotes"] and a["attributions"])

    article = httpx.get(f"{bench_server}/v1/articles/{quoted['id']}").json()

    quote_blocks = {b["quote_id"] for b in article["body"] if b["type"] == "quote"}
    assert quote_blocks and quote_blocks <= {q["id"] for q in article["quotes"]}
    assert article["body_html"].startswith("<p>") and "<blockquote>" in article["body_html"]
    assert article["categories"][0] == article["category"] and article["authors"]
    assert article["word_count"] > 0 and article["reading_time_minutes"] >= 1
    assert article["attributions"][0]["source"]["slug"]


def test_category_filter_finds_generated_articles(bench_server):
    body = httpx.get(bench_server + "/v1/articles", params={"category": "international"}).json()

    assert body["data"] and all(a["categories"] for a in body["data"])


def test_write_cost_compares_the_working_tree_with_a_revision(tmp_path):
    """bench/write_cost.py runs PATCHes in a child per code and prints their CPU and its ratio."""
    url, drop = _create_database(tmp_path)
    try:
        subprocess.run(
            [sys.executable, "bench/generate.py", "--database-url", url, "--articles", "30"],
            cwd=ROOT,
            check=True,
            timeout=120,
            capture_output=True,
        )
        env = {**os.environ, "GAZETTE_DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", "create", "--name", "bench", "--scopes", "content:write"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
        )
        done = subprocess.run(
            [
                sys.executable,
                "bench/write_cost.py",
                "--database-url",
                url,
                "--baseline",
                "HEAD",
                "--rounds",
                "1",
                "--writes",
                "5",
                "--warmup",
                "2",
                "--articles",
                "3",
            ],
            cwd=ROOT,
            timeout=300,
            capture_output=True,
            text=True,
        )
    finally:
        drop()
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("medians: ") and float(last.rsplit("= ", 1)[1]) > 0


def test_sweep_times_every_public_read_of_a_small_archive(tmp_path):
    """bench/sweep.py on 100 articles, two requests a case: every case it makes from the
    OpenAPI document answers 200 (it exits non-zero otherwise), the export and its
    re-import are timed."""
    url, drop = _create_database(tmp_path)
    try:
        subprocess.run(
            [sys.executable, "bench/generate.py", "--database-url", url, "--articles", "100", "--workers", "0"],
            cwd=ROOT,
            check=True,
            timeout=300,
            capture_output=True,
        )
        done = subprocess.run(
            [
                *(sys.executable, "bench/sweep.py", "--database-url", url),
                *("--sequential", "2", "--deep", "3", "--reimport"),
            ],
            cwd=ROOT,
            timeout=900,
            capture_output=True,
            text=True,
        )
    finally:
        drop()
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    for shown in ("/v1/articles?tag=", "/v1/quotes?speaker=", "format=ninjs", "/feeds/rss.xml?category=", "types="):
        assert shown in table, shown
    assert "export: rows " in table and "import: seconds " in table


def test_the_sitemap_index_names_the_months_of_the_bulk_load(bench_server):
    """The bulk load writes no row through Gazette's code: the triggers on `article` still mark
    its months, and the index names each month of the generated archive's public articles."""
    months: set[str] = set()
    params: dict[str, str | int] = {"limit": 100, "fields": "id,published_at"}
    with httpx.Client(base_url=bench_server) as client:
        while True:
            body = client.get("/v1/articles", params=params).json()
            months |= {a["published_at"][:7] for a in body["data"]}
            if not body["meta"]["has_more"]:
                break
            params["cursor"] = body["meta"]["next_cursor"]
        index = client.get("/sitemaps/index.xml").text

    named = set(re.findall(r"/sitemaps/articles-(\d{4}-\d{2})\.xml<", index))
    assert months and named == months
