"""Translations where search engines and feed readers find them: sitemaps' `xhtml:link
rel="alternate" hreflang` (valid against the schemas, with the XHTML link's), Atom's
`<link rel="alternate" hreflang>`, JSON Feed's `_gazette.translations`; never a draft's."""

from datetime import timedelta
from pathlib import Path

import feedparser
from lxml import etree

from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk

SCHEMAS = Path(__file__).parents[2] / "contracts" / "schemas" / "sitemaps"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}


def _group(client, session):
    headers = desk(session)
    when = iso(utcnow() - timedelta(hours=2))
    fr = create(client, headers, title="Le sommet", language="fr", status="published", published_at=when)
    en = create(
        client,
        headers,
        title="The summit",
        language="en",
        status="published",
        published_at=when,
        translation_of=fr["id"],
    )
    draft = create(client, headers, title="Der Gipfel", language="de", translation_of=fr["id"])
    return fr, en, draft


def _valid(body: bytes):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "urlset.xsd")))
    doc = etree.fromstring(body)
    assert schema.validate(doc), schema.error_log
    return doc


def _alternates(doc, url: str) -> list[tuple[str, str]]:
    links = doc.xpath(f"//s:url[s:loc='{url}']/xhtml:link", namespaces=NS)
    assert all(link.get("rel") == "alternate" for link in links)
    return [(link.get("hreflang"), link.get("href")) for link in links]


def test_sitemaps_name_every_public_language_of_each_entry(client, session):
    fr, en, draft = _group(client, session)
    both = [("en", en["url"]), ("fr", fr["url"])]
    month = fr["published_at"][:7]
    for path in (f"/sitemaps/articles-{month}.xml", "/sitemaps/news.xml"):
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        doc = _valid(answer.content)
        assert _alternates(doc, fr["url"]) == both, path
        assert _alternates(doc, en["url"]) == both, path
        assert draft["id"] not in answer.text and draft["slug"] not in answer.text


def test_atom_and_json_feed_carry_the_translations(client, session):
    fr, en, draft = _group(client, session)
    atom = client.get("/feeds/atom.xml")
    entries = {e.title: e for e in feedparser.parse(atom.content).entries}
    links = [(link.get("hreflang"), link["href"]) for link in entries["Le sommet"].links if link["rel"] == "alternate"]
    assert links == [("fr", fr["url"]), ("en", en["url"])]
    assert draft["slug"] not in atom.text
    rss = feedparser.parse(client.get("/feeds/rss.xml").content)
    assert {e.title: e.link for e in rss.entries}["Le sommet"] == fr["url"]  # its own link still
    items = {i["title"]: i for i in client.get("/feeds/feed.json").json()["items"]}
    assert items["The summit"]["_gazette"] == {"translations": [{"language": "fr", "url": fr["url"]}]}
    assert draft["slug"] not in client.get("/feeds/feed.json").text
