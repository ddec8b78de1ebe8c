"""Sitemaps as a search engine reads them: valid against the published schemas, every public
article once in the month it was published, the news of the last 48 hours, nothing else."""

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from app.settings import get_settings
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, publish
from tests.support.factories import make_article, make_category

SCHEMAS = Path(__file__).parents[2] / "contracts" / "schemas" / "sitemaps"
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "image": "http://www.google.com/schemas/sitemap-image/1.1",
}
SITE = "https://www.example.org"


@pytest.fixture(scope="module")
def schemas():
    return {
        "urlset": etree.XMLSchema(etree.parse(str(SCHEMAS / "urlset.xsd"))),
        "sitemapindex": etree.XMLSchema(etree.parse(str(SCHEMAS / "siteindex.xsd"))),
    }


def _read(client, schemas, path, **kwargs):
    """The sitemap at `path`, parsed and validated against its schema."""
    response = client.get(path, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    doc = etree.fromstring(response.content)
    schema = schemas[etree.QName(doc).localname]
    assert schema.validate(doc), f"{path}: {schema.error_log}"
    return doc


def _locs(doc) -> list[str]:
    return doc.xpath("/*/*/s:loc/text()", namespaces=NS)


def test_the_index_names_news_and_each_month_and_every_sitemap_is_schema_valid(client, session, schemas):
    make_category(session, "monde")
    old = make_article(session, slug="en-novembre", category="monde", published_at="2026-11-30T23:59:59Z")
    make_article(
        session,
        slug="en-decembre",
        title='Paris & Berlin: "<b>tout</b>" > 1',
        published_at="2026-12-01T00:00:00Z",
        image={
            "url": "https://images.example.org/a.jpg",
            "caption": "Les ministres",
            "credit": "Reuters",
            "alt": "Deux ministres",
        },
    )
    recent = make_article(session, slug="ce-matin", language="en", published_at=iso(utcnow() - timedelta(hours=1)))

    index = _read(client, schemas, "/sitemaps/index.xml")

    month = iso(utcnow())[:7]
    assert _locs(index) == [
        f"{SITE}/sitemaps/news.xml",
        f"{SITE}/sitemaps/articles-2026-11.xml",
        f"{SITE}/sitemaps/articles-2026-12.xml",
        *([f"{SITE}/sitemaps/articles-{month}.xml"] if month not in ("2026-11", "2026-12") else []),
    ]
    november = _read(client, schemas, "/sitemaps/articles-2026-11.xml")
    assert _locs(november) == [f"{SITE}/monde/en-novembre"]
    assert november.xpath("//s:lastmod/text()", namespaces=NS) == [
        client.get(f"/v1/articles/{old.id}").json()["updated_at"]
    ]
    december = _read(client, schemas, "/sitemaps/articles-2026-12.xml")
    assert f"{SITE}/en-decembre" in _locs(december)
    image = december.xpath("//s:url[s:loc='https://www.example.org/en-decembre']/image:image", namespaces=NS)[0]
    assert image.findtext("image:loc", namespaces=NS) == "https://images.example.org/a.jpg"
    assert image.findtext("image:caption", namespaces=NS) == "Les ministres (Reuters)"
    assert image.findtext("image:title", namespaces=NS) == "Deux ministres"
    news = _read(client, schemas, "/sitemaps/news.xml")
    assert _locs(news) == [f"{SITE}/ce-matin"]
    entry = news.xpath("//news:news", namespaces=NS)[0]
    assert entry.findtext("news:publication/news:name", namespaces=NS) == "Gazette"
    assert entry.findtext("news:publication/news:language", namespaces=NS) == "en"
    assert (
        entry.findtext("news:publication_date", namespaces=NS)
        == client.get(f"/v1/articles/{recent.id}").json()["published_at"]
    )
    assert entry.findtext("news:title", namespaces=NS) == recent.title


def test_a_month_past_the_limit_is_split_into_pages_each_article_once_in_order(client, session, schemas, monkeypatch):
    monkeypatch.setattr(get_settings(), "sitemap_max_urls", 2)
    for n in range(5):
        make_article(session, slug=f"jour-{n}", published_at=f"2026-10-0{n + 1}T12:00:00Z")
    make_article(session, slug="meme-heure-a", published_at="2026-09-15T12:00:00Z")
    make_article(session, slug="meme-heure-b", published_at="2026-09-15T12:00:00Z")
    make_article(session, slug="meme-heure-c", published_at="2026-09-15T12:00:00Z")

    index = _read(client, schemas, "/sitemaps/index.xml")

    names = [loc.rsplit("/", 1)[1] for loc in _locs(index)]
    assert names == [  # and no news.xml: nothing in the last 48 hours
        "articles-2026-09.xml",
        "articles-2026-09-2.xml",
        "articles-2026-10.xml",
        "articles-2026-10-2.xml",
        "articles-2026-10-3.xml",
    ]
    pages = [_locs(_read(client, schemas, f"/sitemaps/{name}")) for name in names[2:]]
    assert pages == [
        [f"{SITE}/jour-0", f"{SITE}/jour-1"],
        [f"{SITE}/jour-2", f"{SITE}/jour-3"],
        [f"{SITE}/jour-4"],
    ]
    # Articles published at the same second are split by id, none twice and none lost.
    september = [
        *_locs(_read(client, schemas, "/sitemaps/articles-2026-09.xml")),
        *_locs(_read(client, schemas, "/sitemaps/articles-2026-09-2.xml")),
    ]
    assert sorted(september) == [f"{SITE}/meme-heure-{x}" for x in "abc"]
    assert client.get("/sitemaps/articles-2026-10-4.xml").status_code == 404


def test_news_holds_the_last_48_hours_only(client, session, schemas):
    now = utcnow()
    make_article(session, slug="il-y-a-une-heure", published_at=iso(now - timedelta(hours=1)))
    make_article(session, slug="il-y-a-47-heures", published_at=iso(now - timedelta(hours=47)))
    make_article(session, slug="il-y-a-49-heures", published_at=iso(now - timedelta(hours=49)))

    news = _read(client, schemas, "/sitemaps/news.xml")

    assert _locs(news) == [f"{SITE}/il-y-a-une-heure", f"{SITE}/il-y-a-47-heures"]


def test_drafts_unpublished_and_deleted_articles_are_on_no_sitemap(client, session, schemas):
    headers = desk(session)
    make_article(session, slug="publie", published_at=iso(utcnow() - timedelta(hours=2)))
    create(client, headers, slug="brouillon", title="Brouillon")
    make_article(session, slug="brouillon-seul-en-2019", status="draft", published_at="2019-05-01T00:00:00Z")
    gone = create(client, headers, slug="retire", title="Retiré", status="published")
    client.post(f"/v1/articles/{gone['id']}/unpublish", headers=headers)
    deleted = create(client, headers, slug="supprime", title="Supprimé", status="published")
    client.delete(f"/v1/articles/{deleted['id']}", headers={**headers, "If-Match": f'"{deleted["version"]}"'})

    month = iso(utcnow())[:7]
    index = _read(client, schemas, "/sitemaps/index.xml")
    shard = _read(client, schemas, f"/sitemaps/articles-{month}.xml")
    news = _read(client, schemas, "/sitemaps/news.xml")

    assert [loc.rsplit("/", 1)[1] for loc in _locs(index)] == ["news.xml", f"articles-{month}.xml"]
    assert _locs(shard) == _locs(news) == [f"{SITE}/publie"]
    assert client.get("/sitemaps/articles-2019-05.xml").status_code == 404


def test_a_publication_purges_the_cached_sitemaps(client, session, schemas):
    headers = desk(session)
    make_article(session, slug="deja-la", published_at=iso(utcnow() - timedelta(hours=3)))
    month = iso(utcnow())[:7]
    paths = ("/sitemaps/index.xml", "/sitemaps/news.xml", f"/sitemaps/articles-{month}.xml")
    for path in paths:
        client.get(path)
        again = client.get(path)
        assert again.headers["gazette-cache"] == "HIT"
        assert set(again.headers["surrogate-key"].split()) >= {"sitemaps", "articles"}
    draft = create(client, headers, slug="nouvelle", title="Nouvelle")

    assert publish(client, headers, draft["id"]).status_code == 200

    assert f"{SITE}/nouvelle" in _locs(_read(client, schemas, "/sitemaps/news.xml"))
    assert f"{SITE}/nouvelle" in _locs(_read(client, schemas, f"/sitemaps/articles-{month}.xml"))


def test_urls_are_the_configured_ones_never_the_requests_host(client, session, schemas, monkeypatch):
    make_article(session, slug="un-article", published_at="2026-08-10T10:00:00Z")
    make_article(session, slug="ce-matin", published_at=iso(utcnow() - timedelta(hours=1)))
    monkeypatch.setattr(get_settings(), "sitemap_base_url", "https://sitemaps.example.net/")

    index = _read(client, schemas, "/sitemaps/index.xml", headers={"Host": "attacker.example"})
    shard = _read(client, schemas, "/sitemaps/articles-2026-08.xml", headers={"Host": "attacker.example"})

    locs = _locs(index)
    assert locs[:2] == [
        "https://sitemaps.example.net/sitemaps/news.xml",
        "https://sitemaps.example.net/sitemaps/articles-2026-08.xml",
    ]
    assert all(loc.startswith("https://sitemaps.example.net/sitemaps/articles-") for loc in locs[1:])
    assert _locs(shard) == [f"{SITE}/un-article"]


@pytest.mark.parametrize("name", ["2026-13", "2026-1", "0999-01", "2026-12-1", "2026-12-x", "latest"])
def test_a_sitemap_name_that_is_no_month_is_a_400_naming_it(client, name):
    response = client.get(f"/sitemaps/articles-{name}.xml")

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["shard"]
