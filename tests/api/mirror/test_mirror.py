"""The mirror (app/mirror/sync.py) against a running server: what it keeps, in which shape, and
how it follows what the feed names. tests/system/test_mirror.py kills it at random points."""

import pytest

from app.mirror.sync import COLLECTIONS, Mirror, MirrorError
from tests.support.editorial import linked_article
from tests.support.factories import bearer, make_key

SLUGGED = {"category", "person", "source", "tag", "author"}


def _public(client, kind: str) -> dict[str, dict]:
    """Every public item of a type, in its read shape (by id, or by slug for the slugged)."""
    path = f"/v1/{COLLECTIONS[kind]}"
    items = client.get(path, params={} if kind == "category" else {"limit": 100}).json()["data"]
    return {i["id"]: client.get(f"{path}/{i['slug'] if kind in SLUGGED else i['id']}").json() for i in items}


def _assert_equal(client, mirror: Mirror) -> None:
    for kind in COLLECTIONS:
        assert mirror.rows(kind) == _public(client, kind), kind


@pytest.fixture
def mirror(server, tmp_path):
    opened: list[Mirror] = []

    def open_(key: str | None = None, url: str = server) -> Mirror:
        opened.append(Mirror(url, tmp_path / "mirror.db", key=key))
        return opened[-1]

    yield open_
    for m in opened:
        m.close()


def test_it_keeps_every_type_in_its_read_shape_and_a_second_run_changes_nothing(client, session, mirror):
    key = make_key(session, "content:write", "content:publish", "admin")
    linked_article(client, bearer(key))
    copy = mirror(key)

    assert copy.catch_up() == 0  # everything came from the lists
    _assert_equal(client, copy)
    assert copy.counts()["articles"] == 1 and copy.counts()["people"] == 1
    rows = {kind: copy.rows(kind) for kind in COLLECTIONS}

    again = mirror(key)
    assert again.catch_up() == 0
    assert {kind: again.rows(kind) for kind in COLLECTIONS} == rows


def test_it_follows_renames_new_slugs_new_ids_and_deletes(client, session, mirror):
    h = bearer(make_key(session, "content:write", "content:publish"))
    article = linked_article(client, h)
    copy = mirror()
    copy.catch_up()
    star = {**h, "If-Match": "*"}

    assert client.patch("/v1/people/marc-dubois", json={"name": "Marc Dubois-Roy"}, headers=star).status_code == 200
    assert client.patch("/v1/categories/monde", json={"slug": "world"}, headers=star).status_code == 200
    assert client.post("/v1/people", json={"name": "Inès Haddad"}, headers=h).status_code == 201
    assert client.delete("/v1/authors/ana-lima", headers=star).status_code == 204  # taken off the article
    assert client.patch(f"/v1/articles/{article['id']}", json={"title": "Vote serré"}, headers=star).status_code == 200

    assert copy.catch_up() > 0
    _assert_equal(client, copy)
    (quote,) = copy.rows("quote").values()
    assert quote["speaker"]["name"] == "Marc Dubois-Roy" and quote["article"]["title"] == "Vote serré"
    assert {c["slug"]: c["parent"] for c in copy.rows("category").values()} == {"world": None, "europe": "world"}
    assert copy.rows("author") == {}


def test_an_unpublished_article_and_its_quotes_leave_the_mirror(client, session, mirror):
    h = bearer(make_key(session, "content:write", "content:publish"))
    article = linked_article(client, h)
    copy = mirror()
    copy.catch_up()

    unpublished = client.post(f"/v1/articles/{article['id']}/unpublish", headers={**h, "If-Match": "*"})
    assert unpublished.status_code == 200
    copy.catch_up()

    assert copy.rows("article") == {} and copy.rows("quote") == {}
    _assert_equal(client, copy)


def test_without_an_admin_key_the_switch_shows_in_the_articles_only(client, session, mirror):
    h = bearer(make_key(session, "content:write", "content:publish", "admin"))
    linked_article(client, h)
    copy = mirror()
    copy.catch_up()

    off = {"enabled": False, "reason": "Élections"}
    assert client.put("/v1/settings/comments", json=off, headers=h).status_code == 200
    copy.catch_up()

    (article,) = copy.rows("article").values()
    assert article["comments"]["enabled"] is False and article["comments"]["reason"] == "Élections"
    assert copy.counts()["site_settings"] == 0
    with_admin = mirror(h["Authorization"].removeprefix("Bearer "))
    with_admin.catch_up()
    (row,) = with_admin.db.execute("SELECT data FROM site_settings WHERE name = 'comments'").fetchall()
    assert '"enabled": false' in row[0]


def test_a_database_of_another_gazette_is_refused(client, session, mirror):
    copy = mirror()
    copy.catch_up()

    with pytest.raises(MirrorError, match="mirrors"):
        mirror(url=str(client.base_url).rstrip("/").replace("127.0.0.1", "localhost")).catch_up()
