"""What shows a changed resource changes with it, and the change feed says so.

A mirror that keeps each resource's public shape re-reads what the feed names. An article
shows its categories', tags', authors' and quotes' speakers' names; a quote shows its speaker,
its source and its article's title; a category names its parent by slug. When one of those
changes, everything public that shows it is an upsert in the feed (its version unchanged, no
webhook), and nothing that does not show it is.
"""

from tests.support.editorial import feed_tail, linked_article
from tests.support.factories import bearer, make_key


def _after(client, since: str) -> set[tuple[str, str]]:
    body = client.get("/v1/changes", params={"since": since, "limit": 1000}).json()
    assert not body["meta"]["has_more"]
    return {(c["type"], c["id"]) for c in body["data"] if c["op"] == "upsert"}


def _patch(client, h, path: str, patch: dict) -> dict:
    response = client.patch(path, json=patch, headers={**h, "If-Match": "*"})
    assert response.status_code == 200, response.text
    return response.json()


def _setup(client, h) -> tuple[dict, dict, dict, dict]:
    shown = linked_article(client, h)
    other = client.post(
        "/v1/articles",
        headers=h,
        json={"title": "Ailleurs", "status": "published", "quotes": [{"text": "Rien.", "speaker": {"name": "Yves"}}]},
    ).json()
    return shown, shown["quotes"][0], other, other["quotes"][0]


def test_renaming_what_articles_and_quotes_show_upserts_them(client, session):
    h = bearer(make_key(session, "content:write", "content:publish"))
    shown, quote, _other, _other_quote = _setup(client, h)
    for path, expected in (
        ("/v1/tags/climat", {("tag",), ("article", shown["id"])}),
        ("/v1/authors/ana-lima", {("author",), ("article", shown["id"])}),
        ("/v1/people/marc-dubois", {("person",), ("article", shown["id"]), ("quote", quote["id"])}),
        ("/v1/sources/le-soir", {("source",), ("article", shown["id"]), ("quote", quote["id"])}),
        ("/v1/categories/europe", {("category",), ("article", shown["id"])}),
    ):
        since = feed_tail(client)
        renamed = _patch(client, h, path, {"name": "Renamed " + path})
        changed = _after(client, since)
        kind = next(iter(e for e in expected if len(e) == 1))[0]
        assert changed == {(kind, renamed["id"])} | {e for e in expected if len(e) == 2}, path
        assert client.get(f"/v1/articles/{shown['id']}").json()["version"] == shown["version"]  # versions stay


def test_a_category_new_slug_upserts_its_subcategories(client, session):
    h = bearer(make_key(session, "content:write", "content:publish"))
    _shown, *_ = _setup(client, h)
    europe = client.get("/v1/categories/europe").json()
    since = feed_tail(client)

    monde = _patch(client, h, "/v1/categories/monde", {"slug": "world"})

    assert client.get("/v1/categories/europe").json()["parent"] == "world"
    assert _after(client, since) == {("category", monde["id"]), ("category", europe["id"])}


def test_an_article_new_title_upserts_its_quotes(client, session):
    h = bearer(make_key(session, "content:write", "content:publish"))
    shown, quote, _other, _other_quote = _setup(client, h)
    version = client.get(f"/v1/quotes/{quote['id']}").json()["version"]
    since = feed_tail(client)

    _patch(client, h, f"/v1/articles/{shown['id']}", {"title": "Vote serré à Bruxelles"})

    assert _after(client, since) == {("article", shown["id"]), ("quote", quote["id"])}
    assert client.get(f"/v1/quotes/{quote['id']}").json()["article"]["title"] == "Vote serré à Bruxelles"
    assert client.get(f"/v1/quotes/{quote['id']}").json()["version"] == version


def test_a_write_its_quotes_do_not_show_leaves_them_out(client, session):
    h = bearer(make_key(session, "content:write", "content:publish"))
    shown, _quote, *_ = _setup(client, h)
    since = feed_tail(client)

    _patch(client, h, f"/v1/articles/{shown['id']}", {"standfirst": "Le point."})
    _patch(client, h, "/v1/people/marc-dubois", {"description": "Député."})  # shown in neither

    assert _after(client, since) == {
        ("article", shown["id"]),
        ("person", client.get("/v1/people/marc-dubois").json()["id"]),
    }
