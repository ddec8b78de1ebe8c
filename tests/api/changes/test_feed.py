"""The change feed, as an integrator that stores next_cursor and polls would use it."""

from app.articles import writes
from app.changes import feed
from app.store.models import Article, ArticleStatus
from app.store.models.common import utcnow
from tests.support.factories import make_article


def _unpublish(session, article: Article) -> None:
    article = session.get(Article, article.id)
    article.status, article.version = ArticleStatus.draft, article.version + 1
    writes.after_write(session, article, was_public=True, event="article.unpublished")
    session.commit()


def _delete(session, article: Article) -> None:
    article = session.get(Article, article.id)
    was_public = article.is_public
    article.deleted_at, article.version = utcnow(), article.version + 1
    writes.after_write(session, article, was_public=was_public, event="article.deleted")
    session.commit()


def _update(session, article: Article) -> None:
    article = session.get(Article, article.id)
    article.title, article.version = article.title + " (updated)", article.version + 1
    writes.after_write(session, article, was_public=True, event="article.updated")
    session.commit()


def _poll(client, since: str | None = None, **params) -> tuple[list[dict], dict]:
    """Every page after `since`; returns the items and the last meta."""
    items: list[dict] = []
    while True:
        body = client.get("/v1/changes", params={**params, **({"since": since} if since else {})}).json()
        items += body["data"]
        since = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            return items, body["meta"]


def test_feed_lists_changes_in_order_with_contract_fields(client, session):
    first, second = make_article(session), make_article(session)

    body = client.get("/v1/changes").json()

    assert [(c["type"], c["id"], c["op"], c["version"]) for c in body["data"]] == [
        ("article", first.id, "upsert", 1),
        ("article", second.id, "upsert", 1),
    ]
    assert set(body["data"][0]) == {"cursor", "type", "id", "op", "version", "at", "reason", "due_at"}
    assert body["meta"] == {"next_cursor": body["data"][-1]["cursor"], "has_more": False}


def test_polling_with_next_cursor_sees_every_change_exactly_once(client, session):
    articles = [make_article(session) for _ in range(5)]
    seen, meta = _poll(client, limit=2)
    for article in articles[:3]:
        _update(session, article)
    more, _ = _poll(client, meta["next_cursor"], limit=2)

    assert [c["id"] for c in seen] == [a.id for a in articles]
    assert [(c["id"], c["version"]) for c in more] == [(a.id, 2) for a in articles[:3]]
    assert len({c["cursor"] for c in seen + more}) == 8


def test_polling_when_nothing_changed_gives_the_same_cursor_back(client, session):
    make_article(session)
    cursor = client.get("/v1/changes").json()["meta"]["next_cursor"]

    body = client.get("/v1/changes", params={"since": cursor}).json()

    assert body == {"data": [], "meta": {"next_cursor": cursor, "has_more": False}}


def test_empty_feed_still_gives_a_cursor_to_store(client, session):
    body = client.get("/v1/changes").json()
    make_article(session)

    later = client.get("/v1/changes", params={"since": body["meta"]["next_cursor"]}).json()

    assert body["data"] == [] and len(later["data"]) == 1


def test_unpublish_shows_as_a_delete_tombstone(client, session):
    article = make_article(session)
    _unpublish(session, article)

    ops = [(c["id"], c["op"], c["version"]) for c in client.get("/v1/changes").json()["data"]]

    assert ops == [(article.id, "upsert", 1), (article.id, "delete", 2)]


def test_delete_shows_as_a_delete_tombstone(client, session):
    article = make_article(session)
    _delete(session, article)

    ops = [(c["id"], c["op"]) for c in client.get("/v1/changes").json()["data"]]

    assert ops == [(article.id, "upsert"), (article.id, "delete")]


def test_drafts_never_appear_in_the_feed(client, session):
    make_article(session, status="draft")
    published = make_article(session)

    ids = [c["id"] for c in client.get("/v1/changes").json()["data"]]

    assert ids == [published.id]


def test_types_filter_keeps_only_the_types_asked(client, session):
    article = make_article(session)
    feed.record(session, resource_type="quote", resource_id="q" * 26, op="upsert", version=1)
    session.commit()

    quotes = client.get("/v1/changes", params={"types": "quote"}).json()["data"]
    both = client.get("/v1/changes", params={"types": "article,quote"}).json()["data"]

    assert [c["type"] for c in quotes] == ["quote"]
    assert [c["id"] for c in both] == [article.id, "q" * 26]


def test_pages_of_several_types_follow_the_feed_order_across_cursors(client, session):
    # Each type's page is read on its own and the pages merged: the merged pages must be the
    # feed's own order, filtered, however the types interleave and wherever a page ends.
    for n in range(4):
        make_article(session)
        for kind in ("quote", "person", "quote"):
            feed.record(session, resource_type=kind, resource_id=f"{kind[0]}{n}".ljust(26, "x"), op="upsert", version=1)
            session.commit()
    everything = client.get("/v1/changes", params={"limit": 100}).json()["data"]
    expected = [(c["type"], c["id"]) for c in everything if c["type"] in ("quote", "person")]

    seen, since = [], None
    for _ in range(20):
        page = client.get(
            "/v1/changes", params={"types": "person,quote", "limit": 5, **({"since": since} if since else {})}
        ).json()
        seen += [(c["type"], c["id"]) for c in page["data"]]
        since = page["meta"]["next_cursor"]
        if not page["meta"]["has_more"]:
            break

    assert len(expected) == 12
    assert seen == expected


def test_unknown_type_is_a_400_naming_types(client):
    response = client.get("/v1/changes", params={"types": "article,draft"})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "types"


def test_bad_cursor_is_a_400_naming_since(client):
    for bad in ("nonsense", "WyJ4IiwxXQ", "W10", "!!"):
        response = client.get("/v1/changes", params={"since": bad})

        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "since"


def test_limit_outside_1_to_1000_is_a_400_naming_limit(client):
    for bad in ("0", "1001", "ten"):
        response = client.get("/v1/changes", params={"limit": bad})

        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "limit"


def test_unknown_parameter_is_a_400_naming_it(client):
    response = client.get("/v1/changes", params={"cursor": "x"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_feed_needs_no_key_and_tells_caches_its_surrogate_key(client, session):
    make_article(session)

    response = client.get("/v1/changes")

    assert response.status_code == 200 and "changes" in response.headers["surrogate-key"].split()


def test_link_header_points_to_the_next_page(client, session):
    make_article(session), make_article(session)

    response = client.get("/v1/changes", params={"limit": 1})

    cursor = response.json()["meta"]["next_cursor"]
    assert f"since={cursor}" in response.headers["link"] and 'rel="next"' in response.headers["link"]
