"""The sitemap index is right after every way an article changes: it is built from a table of
months (app/sitemaps/months.py) kept by triggers on `article`, so each test changes articles
one way and compares the index with the months of the public list, walked over HTTP."""

import subprocess
import sys
from collections import defaultdict
from datetime import timedelta

import orjson
import pytest
from lxml import etree

from app.kit import jobs
from app.settings import get_settings
from app.store import clock, migrate
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, patch, publish
from tests.support.factories import bearer, make_article, make_key

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def _index(client) -> dict[str, str | None]:
    """The article sitemaps the index names, each with its lastmod."""
    response = client.get("/sitemaps/index.xml")
    assert response.status_code == 200, response.text
    doc = etree.fromstring(response.content)
    found = {}
    for entry in doc.xpath("/s:sitemapindex/s:sitemap", namespaces=NS):
        name = entry.findtext("s:loc", namespaces=NS).rsplit("/", 1)[1]
        if name != "news.xml":
            found[name.removeprefix("articles-").removesuffix(".xml")] = entry.findtext("s:lastmod", namespaces=NS)
    return found


def _public_months(client, reader: dict[str, str]) -> dict[str, str | None]:
    """What the index should say: the months of every public article, walked page by page, each
    split into pages of GAZETTE_SITEMAP_MAX_URLS, with the latest `updated_at` of its month.
    Read with a content:read key, which lists what the public sees, never from a cache (the
    response cache does not see an embargo lift coming: only the clock's job purges it)."""
    counts: dict[str, int] = defaultdict(int)
    lastmods: dict[str, str] = {}
    params = {"limit": 100, "fields": "id,published_at,updated_at"}
    while True:
        body = client.get("/v1/articles", params=params, headers=reader).json()
        for article in body["data"]:
            month = article["published_at"][:7]
            counts[month] += 1
            lastmods[month] = max(lastmods.get(month, ""), article["updated_at"])
        if not body["meta"]["has_more"]:
            break
        params["cursor"] = body["meta"]["next_cursor"]
    size = get_settings().sitemap_max_urls
    expected = {}
    for month in sorted(counts):
        for page in range(1, -(-counts[month] // size) + 1):
            expected[month if page == 1 else f"{month}-{page}"] = lastmods[month]
    return expected


@pytest.fixture
def reader(session) -> dict[str, str]:
    return bearer(make_key(session, "content:read", name="reader"))


def _check(client, reader: dict[str, str]) -> dict[str, str | None]:
    index = _index(client)
    assert index == _public_months(client, reader)
    return index


def test_each_api_write_moves_the_index(client, reader, session):
    headers = desk(session)
    now = utcnow()
    this_month = iso(now)[:7]
    assert _check(client, reader) == {}

    article = create(client, headers, title="Brouillon")
    assert _check(client, reader) == {}  # a draft is on no sitemap
    assert publish(client, headers, article["id"]).status_code == 200
    first = _check(client, reader)
    assert list(first) == [this_month]

    older = create(client, headers, title="Daté de mars")
    assert publish(client, headers, older["id"], at="2026-03-10T10:00:00Z").status_code == 200
    assert list(_check(client, reader)) == ["2026-03", this_month]

    clock.advance(timedelta(seconds=2))  # a later updated_at, to the second
    current = client.get(f"/v1/articles/{article['id']}", headers=headers).json()
    assert patch(client, headers, current, {"title": "Corrigé"}).status_code == 200
    assert _check(client, reader)[this_month] != first[this_month]  # its lastmod moved

    assert client.post(f"/v1/articles/{older['id']}/unpublish", headers=headers).status_code == 200
    assert list(_check(client, reader)) == [this_month]
    assert publish(client, headers, older["id"]).status_code == 200
    assert list(_check(client, reader)) == ["2026-03", this_month]  # republished: it keeps its first date

    version = client.get(f"/v1/articles/{older['id']}", headers=headers).json()["version"]
    gone = client.delete(f"/v1/articles/{older['id']}", headers={**headers, "If-Match": f'"{version}"'})
    assert gone.status_code == 204, gone.text
    assert list(_check(client, reader)) == [this_month]
    assert client.post(f"/v1/articles/{older['id']}/restore", headers=headers).status_code == 200
    assert list(_check(client, reader)) == ["2026-03", this_month]


def test_a_month_has_one_more_page_as_it_crosses_the_limit_and_one_less_as_it_falls_back(
    client, reader, session, monkeypatch
):
    monkeypatch.setattr(get_settings(), "sitemap_max_urls", 2)
    headers = desk(session)
    made = [make_article(session, slug=f"jour-{n}", published_at=f"2026-05-0{n + 1}T12:00:00Z") for n in range(2)]
    assert list(_check(client, reader)) == ["2026-05"]

    third = create(client, headers, title="Troisième")
    publish(client, headers, third["id"], at="2026-05-20T12:00:00Z")
    assert list(_check(client, reader)) == ["2026-05", "2026-05-2"]
    assert client.get("/sitemaps/articles-2026-05-2.xml").status_code == 200

    client.post(f"/v1/articles/{made[0].id}/unpublish", headers=headers)
    assert list(_check(client, reader)) == ["2026-05"]
    assert client.get("/sitemaps/articles-2026-05-2.xml").status_code == 404


def test_the_clock_moves_the_index_by_itself_and_its_job_keeps_it(client, reader, session):
    headers = desk(session)
    scheduled = create(client, headers, title="Programmé")
    publish(client, headers, scheduled["id"], at=iso(utcnow() + timedelta(minutes=10)))
    embargoed = create(client, headers, title="Sous embargo")
    until = iso(utcnow() + timedelta(minutes=10))
    answer = publish(client, headers, embargoed["id"], at="2026-02-03T08:00:00Z", embargoed_until=until)
    assert answer.json()["embargoed_until"] == until
    expiring = create(
        client, headers, title="Éphémère", status="published", expires_at=iso(utcnow() + timedelta(minutes=20))
    )
    month = expiring["published_at"][:7]
    assert list(_check(client, reader)) == [month]  # neither the scheduled one nor the embargoed one

    clock.advance(timedelta(minutes=11))  # no job has run: the embargo lifted by itself
    assert list(_check(client, reader)) == ["2026-02", month]
    jobs.run_once()  # the scheduled one is published, the embargo's change recorded
    assert list(_check(client, reader)) == ["2026-02", month]
    assert client.get(f"/v1/articles/{scheduled['id']}").status_code == 200

    clock.advance(timedelta(minutes=10))  # the expiry passed, before the job
    index = _check(client, reader)
    assert list(index) == ["2026-02", month]  # the scheduled article is still in the month
    expired_before_job = index
    jobs.run_once()
    assert _check(client, reader) == expired_before_job


def test_a_pending_version_published_moves_the_month_lastmod(client, reader, session):
    headers = desk(session)
    article = create(client, headers, title="En ligne", status="published")
    before = _check(client, reader)
    clock.advance(timedelta(seconds=2))
    started = client.post(f"/v1/articles/{article['id']}/pending", headers=headers)
    assert started.status_code == 201, started.text
    client.patch(
        f"/v1/articles/{article['id']}/pending",
        json={"title": "Corrigé"},
        headers={**headers, "Content-Type": "application/merge-patch+json", "If-Match": started.headers["etag"]},
    )
    assert _check(client, reader) == before  # staged, not live

    assert client.post(f"/v1/articles/{article['id']}/pending/publish", headers=headers).status_code == 200
    assert _check(client, reader) != before


def test_an_import_fills_the_index(client, reader, session):
    lines = [
        {
            "type": "article",
            "data": {
                "external_id": f"cms-{n}",
                "title": f"Importé {n}",
                "slug": f"importe-{n}",
                "status": "published",
                "published_at": f"2025-0{n + 1}-15T09:00:00Z",
            },
        }
        for n in range(3)
    ]
    body = b"\n".join(orjson.dumps(line) for line in lines) + b"\n"
    secret = make_key(session, "content:write", "content:publish", name="importer")

    report = client.post("/v1/import", content=body, headers={**NDJSON, **bearer(secret)})

    assert report.status_code == 200, report.text
    assert list(_check(client, reader)) == ["2025-01", "2025-02", "2025-03"]


def test_the_demo_load_fills_the_index(client, reader, database_url):
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], check=True, capture_output=True)

    assert len(_check(client, reader)) >= 1


def test_a_database_migrated_from_before_the_table_of_months_has_its_index(client, reader, session, database_url):
    for n in range(3):
        make_article(session, slug=f"ancien-{n}", published_at=f"2024-1{n}-01T12:00:00Z")
    assert list(_check(client, reader)) == ["2024-10", "2024-11", "2024-12"]

    migrate.downgrade("a3d5f7b9c1e2", database_url)  # as a database restored from before
    try:
        make_article(session, slug="ecrit-avant", published_at="2023-06-01T12:00:00Z")
    finally:
        migrate.upgrade("heads", database_url)  # the next tests share this database

    assert list(_check(client, reader)) == ["2023-06", "2024-10", "2024-11", "2024-12"]


@pytest.mark.parametrize("hours", [1, 49])
def test_news_is_in_the_index_only_while_it_lists_an_article(client, reader, session, hours):
    make_article(session, slug="un-article", published_at=iso(utcnow() - timedelta(hours=hours)))

    locs = etree.fromstring(client.get("/sitemaps/index.xml").content).xpath("//s:loc/text()", namespaces=NS)
    news = client.get("/sitemaps/news.xml")

    assert ("https://www.example.org/sitemaps/news.xml" in locs) is (hours < 48)
    assert news.status_code == 200 and news.headers["content-type"].startswith("application/xml")
    assert len(etree.fromstring(news.content)) == (1 if hours < 48 else 0)
