"""RSS, Atom and JSON Feed, as a feed reader sees them.

RSS and Atom are parsed with feedparser. feedparser 6 does not read JSON Feed, so the
JSON Feed is checked against the JSON Feed 1.1 rules and read into the same entry shape.
"""

from types import SimpleNamespace

import feedparser
import pytest

from app.store.models.common import utcnow
from tests.support.factories import make_article, make_author, make_category, make_tag

FEEDS = {
    "/feeds/rss.xml": "application/rss+xml",
    "/feeds/atom.xml": "application/atom+xml",
    "/feeds/feed.json": "application/feed+json",
}
TRICKY = 'Paris & Berlin: "<b>refugees</b>" > 1 million'


def _json_feed(body):
    """JSON Feed 1.1 read as feedparser would: checks the spec's required members on the way."""
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(body["title"], str) and isinstance(body["items"], list)
    entries = []
    for item in body["items"]:
        assert isinstance(item["id"], str) and ("content_html" in item or "content_text" in item)
        entries.append(
            SimpleNamespace(
                id=item["id"],
                title=item.get("title"),
                link=item.get("url"),
                summary=item.get("summary"),
                content=[SimpleNamespace(value=item.get("content_html"))],
                author=", ".join(a["name"] for a in item.get("authors", [])),
                tags=[{"term": t, "label": t} for t in item.get("tags", [])],
                published_parsed=tuple(int(x) for x in item["date_published"][:10].split("-")),
                enclosures=[{"url": a["url"]} for a in item.get("attachments", [])],
            )
        )
    return SimpleNamespace(bozo=False, feed=SimpleNamespace(title=body["title"]), entries=entries)


def _parse(client, path, **params):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    if path.endswith(".json"):
        return response, _json_feed(response.json())
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    return response, parsed


@pytest.mark.parametrize("path", FEEDS)
def test_feed_parses_cleanly_with_its_content_type(client, session, path):
    make_article(session)

    response, parsed = _parse(client, path)

    assert response.headers["content-type"].startswith(FEEDS[path])
    assert len(parsed.entries) == 1 and parsed.feed.title == "Gazette"


@pytest.mark.parametrize("path", FEEDS)
def test_feed_entry_carries_title_summary_content_authors_categories_dates_and_image(client, session, path):
    make_category(session, "international", name="International")
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "jeanne-martin", name="Jeanne Martin")
    article = make_article(
        session,
        title="Moscou et Washington",
        standfirst="Un pas en avant.",
        category="international",
        tags=["syrie"],
        authors=["jeanne-martin"],
        published_at="2015-09-19T08:00:00Z",
        body=[{"type": "paragraph", "text": "Les discussions commencent."}],
        image={"url": "https://images.example.org/carter.jpg", "credit": "Reuters"},
    )

    _, parsed = _parse(client, path)
    entry = parsed.entries[0]

    assert entry.title == "Moscou et Washington"
    assert entry.link == "https://www.example.org/international/" + article.slug
    assert entry.id.endswith(f"/v1/articles/{article.id}")
    assert entry.summary == "Un pas en avant."
    assert "<p>Les discussions commencent.</p>" in entry.content[0].value
    assert entry.author == "Jeanne Martin"
    assert {"International", "Syrie"} <= {t.get("label") or t["term"] for t in entry.tags}
    assert entry.published_parsed[:3] == (2015, 9, 19)
    assert [e.get("href") or e.get("url") for e in entry.enclosures] == ["https://images.example.org/carter.jpg"]


@pytest.mark.parametrize("path", FEEDS)
def test_feed_escapes_markup_in_titles_and_text(client, session, path):
    make_article(session, title=TRICKY, standfirst=f"Standfirst: {TRICKY}")

    _, parsed = _parse(client, path)
    entry = parsed.entries[0]

    assert entry.title == TRICKY
    assert TRICKY in entry.summary.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace(
        "&quot;", '"'
    )


def test_rss_title_is_escaped_in_the_xml_itself(client, session):
    make_article(session, title=TRICKY)

    xml = client.get("/feeds/rss.xml").text

    assert '<title>Paris &amp; Berlin: "&lt;b&gt;refugees&lt;/b&gt;" &gt; 1 million</title>' in xml


@pytest.mark.parametrize("path", FEEDS)
def test_category_feed_holds_its_subcategories_and_nothing_else(client, session, path):
    world = make_category(session, "international", name="International")
    make_category(session, "europe", parent=world)
    make_category(session, "sport")
    a = make_article(session, title="World", category="international")
    b = make_article(session, title="Europe", category="europe")
    make_article(session, title="Sport", category="sport")

    _, parsed = _parse(client, path, category="international")

    assert {e.title for e in parsed.entries} == {a.title, b.title}
    assert "International" in parsed.feed.title


@pytest.mark.parametrize("path", FEEDS)
def test_unknown_category_is_a_404_problem(client, session, path):
    response = client.get(path, params={"category": "nowhere"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", FEEDS)
def test_unknown_parameter_is_a_400_naming_it(client, session, path):
    response = client.get(path, params={"limit": "5"})

    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize("path", FEEDS)
def test_feed_shows_no_drafts_or_deleted_articles(client, session, path):
    make_article(session, title="Public story")
    make_article(session, title="Zanzibarquux draft", status="draft")
    deleted = make_article(session, title="Quuxwobble deleted")
    deleted.deleted_at = utcnow()
    session.add(deleted)
    session.commit()

    response, parsed = _parse(client, path)

    assert [e.title for e in parsed.entries] == ["Public story"]
    assert "Zanzibarquux" not in response.text and "Quuxwobble" not in response.text


def test_feed_holds_the_latest_fifty_newest_first(client, session):
    for n in range(52):
        make_article(session, title=f"Story {n}", published_at=f"2020-01-{1 + n // 24:02d}T{n % 24:02d}:00:00Z")

    _, parsed = _parse(client, "/feeds/atom.xml")

    assert len(parsed.entries) == 50
    assert parsed.entries[0].title == "Story 51" and parsed.entries[-1].title == "Story 2"


def test_control_characters_never_break_the_xml(client, session):
    make_article(session, title="Bell\x07 and form feed\x0c", standfirst="Vertical\x0btab")

    for path in ("/feeds/rss.xml", "/feeds/atom.xml"):
        _, parsed = _parse(client, path)
        assert parsed.entries[0].title == "Bell and form feed"
