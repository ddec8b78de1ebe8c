"""The public lists answered below the router (app/cache/lists.py) answer what their routes
answer: the same bytes, ETag, Surrogate-Key, Link, Cache-Control and content type, for every
variant they take; what they do not take goes on to the route unchanged.

Each variant is read twice, cache emptied before each: once as served (the direct route, whose
counter must move), once with every direct list switched off (the route answers)."""

import pytest

from app import cache
from app.articles import fast_path
from app.quotes import routes as quote_routes
from app.taxonomy import category_routes
from app.taxonomy import routes as taxonomy_routes
from tests.conftest import IS_POSTGRES
from tests.support.factories import (
    bearer,
    make_article,
    make_author,
    make_category,
    make_key,
    make_person,
    make_source,
    make_tag,
)

DIRECTS = (fast_path.LIST, quote_routes.LIST, category_routes.LIST, *taxonomy_routes.LISTS)
COMPARED = ("etag", "surrogate-key", "link", "cache-control", "content-type", "vary")


@pytest.fixture
def archive(session):
    section = make_category(session, "international", name="International")
    make_category(session, "syrie-cat", name="Syrie", parent=section)
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "marie-dupont", name="Marie Dupont")
    make_person(session, "john-kerry", name="John Kerry")
    make_source(session, "le-figaro", name="Le Figaro", kind="publication")
    make_source(session, "reuters", name="Reuters", kind="photo_agency")
    rich = make_article(
        session,
        title="Kerry à Damas",
        category="syrie-cat",
        tags=["syrie"],
        authors=["marie-dupont"],
        quotes=[{"text": "Il a dit non.", "speaker": "john-kerry", "source": "le-figaro"}],
        attributions=[{"source": "le-figaro", "role": "read_on", "label": "Lu sur", "url": "https://x.example/a"}],
        image={"url": "https://img.example.org/a.jpg", "alt": "Photo", "credit": "Reuters", "credit_source": "reuters"},
        expires_at="2099-01-01T00:00:00Z",
    )
    for n in range(4):
        quotes = [{"text": f"Réponse {n}.", "speaker": "john-kerry"}]
        make_article(session, title=f"Brève {n}", category="international", tags=["syrie"], quotes=quotes)
    make_article(session, title="Brouillon", status="draft")
    return rich


def _direct_then_routed(client, monkeypatch, path: str, params: dict, *, method: str = "GET"):
    answered = [d.answered_stored for d in DIRECTS]
    cache.clear()
    direct = client.request(method, path, params=params)
    moved = [d.answered_stored for d in DIRECTS] != answered
    with monkeypatch.context() as off:
        for d in DIRECTS:
            off.setattr(d, "match", lambda scope: None)
        cache.clear()
        routed = client.request(method, path, params=params)
    return direct, routed, moved


LISTS = [
    ("/v1/articles", {}),
    ("/v1/articles", {"limit": 2}),
    ("/v1/articles", {"limit": 2, "count": "true"}),
    ("/v1/articles", {"category": "international"}),
    ("/v1/articles", {"tag": "syrie"}),
    ("/v1/articles", {"author": "marie-dupont"}),
    ("/v1/articles", {"speaker": "john-kerry"}),
    ("/v1/articles", {"source": "le-figaro"}),
    ("/v1/articles", {"lang": "fr"}),
    ("/v1/articles", {"sort": "published_at", "limit": 2}),
    ("/v1/articles", {"sort": "-updated_at"}),
    ("/v1/articles", {"sort": "updated_at", "limit": 3}),
    ("/v1/articles", {"fields": "id,title"}),
    ("/v1/articles", {"include": "quotes,attributions,body"}),
    ("/v1/articles", {"published_after": "2000-01-01T00:00:00Z"}),
    ("/v1/quotes", {}),
    ("/v1/quotes", {"speaker": "john-kerry"}),
    ("/v1/quotes", {"source": "le-figaro", "count": "true"}),
    ("/v1/quotes", {"limit": 1}),
    ("/v1/categories", {}),
    ("/v1/categories", {"tree": "true"}),
    ("/v1/people", {}),
    ("/v1/sources", {"limit": 1}),
    ("/v1/tags", {"q": "sy"}),
    ("/v1/authors", {}),
]


@pytest.mark.parametrize(("path", "params"), LISTS)
def test_a_direct_list_is_what_the_route_answers(client, monkeypatch, archive, path, params):
    direct, routed, moved = _direct_then_routed(client, monkeypatch, path, params)

    assert moved, "the direct route did not answer"
    assert direct.status_code == routed.status_code == 200, (direct.text, routed.text)
    assert direct.content == routed.content
    for name in COMPARED:
        assert direct.headers.get(name) == routed.headers.get(name), name
    assert direct.headers["surrogate-key"]


def test_every_next_page_too(client, monkeypatch, archive):
    for path in ("/v1/articles", "/v1/quotes", "/v1/sources"):
        first = client.get(path, params={"limit": 1}).json()
        cursor = first["meta"]["next_cursor"]
        assert cursor, path
        direct, routed, moved = _direct_then_routed(client, monkeypatch, path, {"limit": 1, "cursor": cursor})
        assert moved and direct.content == routed.content, path
        assert direct.headers.get("link") == routed.headers.get("link"), path


def test_head_is_the_get_without_its_body(client, monkeypatch, archive):
    direct, routed, moved = _direct_then_routed(client, monkeypatch, "/v1/articles", {"limit": 2}, method="HEAD")
    assert moved and direct.status_code == routed.status_code == 200
    assert direct.content == routed.content == b""
    for name in COMPARED:
        assert direct.headers.get(name) == routed.headers.get(name), name


def test_the_page_keys_name_what_it_shows(client, archive):
    """Taken from the items (app/cache/surrogates.py `item_facts`), as parsing the page gives them."""
    cache.clear()
    keys = client.get("/v1/articles", params={"tag": "syrie"}).headers["surrogate-key"].split()
    assert {"articles", "tag:syrie", f"article:{archive.id}", "article:*", "category:syrie-cat"} <= set(keys)
    cache.clear()
    shown = client.get("/v1/articles", params={"limit": 100}).headers["cache-control"]
    assert "max-age" in shown


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/articles", {"limit": 0}, "limit"),
        ("/v1/articles", {"category": "nowhere"}, "category"),
        ("/v1/articles", {"nonsense": "1"}, "nonsense"),
        ("/v1/articles", {"include": "updates"}, "include"),
        ("/v1/quotes", {"cursor": "not-a-cursor"}, "cursor"),
        ("/v1/people", {"limit": 101}, "limit"),
        ("/v1/tags", {"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_what_it_does_not_take_goes_to_the_route(client, archive, path, params, field):
    answered = [d.answered_stored for d in DIRECTS]
    cache.clear()
    refused = client.get(path, params=params)
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert field in refused.text
    assert [d.answered_stored for d in DIRECTS] == answered


def test_a_key_reads_through_the_route(client, session, archive):
    answered = fast_path.LIST.answered_stored
    shown = client.get("/v1/articles", params={"status": "all"}, headers=bearer(make_key(session, "content:read")))
    assert shown.status_code == 200 and b"Brouillon" in shown.content
    assert shown.headers["cache-control"] == "private, no-store"
    assert fast_path.LIST.answered_stored == answered


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/tags", {"limit": 2}),
        ("/v1/categories", {}),
        ("/v1/people", {}),
        ("/v1/quotes", {}),
        ("/v1/quotes", {"speaker": "john-kerry"}),
    ],
)
def test_a_bounded_page_is_read_on_the_event_loop_on_sqlite(client, monkeypatch, archive, path, params):
    """A bounded page (a catalogue's, quotes from one index) skips the threadpool on SQLite
    (where its `render` runs) and takes it on PostgreSQL; a count takes it on both."""
    direct = next(d for d in DIRECTS if d.path == path)
    threaded = []
    monkeypatch.setattr(
        direct, "render", lambda argument, look=True: threaded.append(argument) or direct._render(argument)
    )
    answered = direct.answered_stored
    cache.clear()
    assert client.get(path, params=params).status_code == 200
    assert direct.answered_stored == answered + 1
    assert len(threaded) == (1 if IS_POSTGRES else 0)
    if path != "/v1/categories":
        cache.clear()
        assert client.get(path, params={**params, "count": "true"}).status_code == 200
        assert len(threaded) == (2 if IS_POSTGRES else 1)
