"""Absolute URLs come from GAZETTE_API_URL, never from the request's Host: a CDN may reach the
origin by any name, and what it caches is the same whichever it used (docs/API.md)."""

import feedparser
import pytest

from app.settings import get_settings
from tests.support.editorial import create, desk, patch
from tests.support.factories import make_article

HOSTS = ("cdn-edge.example.net", "10.0.0.7:8000")


def _through_each_host(client, path, **params):
    return [client.get(path, params=params, headers={"Host": host}, follow_redirects=False) for host in HOSTS]


@pytest.mark.parametrize("path", ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"])
def test_a_feed_is_the_same_bytes_and_ids_whatever_the_host(client, session, path):
    article = make_article(session, title="Le même partout")
    one, two = _through_each_host(client, path)

    assert one.status_code == two.status_code == 200
    assert one.content == two.content
    entries = feedparser.parse(one.content).entries if not path.endswith(".json") else one.json()["items"]
    ids = [entry["id"] for entry in entries]
    assert ids == [f"{get_settings().api_url.rstrip('/')}/v1/articles/{article.id}"]
    assert not any(host.encode() in one.content for host in HOSTS)


def test_ninjs_uri_link_and_location_start_with_the_configured_url(client, session):
    base = get_settings().api_url.rstrip("/")
    headers = desk(session)
    article = create(client, headers, title="Ancien titre", status="published")
    patch(client, headers, article, {"slug": "nouveau-titre"})
    make_article(session)

    ninjs = _through_each_host(client, f"/v1/articles/{article['id']}", format="ninjs")
    assert ninjs[0].content == ninjs[1].content
    assert ninjs[0].json()["uri"] == f"{base}/v1/articles/{article['id']}"

    for path, params in (("/v1/articles", {"limit": "1"}), ("/v1/changes", {"limit": "1"})):
        links = [r.headers["link"] for r in _through_each_host(client, path, **params)]
        assert links[0] == links[1] and links[0].startswith(f"<{base}{path}?"), links

    moved = _through_each_host(client, "/v1/articles/slug/ancien-titre")
    assert [r.status_code for r in moved] == [301, 301]
    assert {r.headers["location"] for r in moved} == {f"{base}/v1/articles/slug/nouveau-titre"}
