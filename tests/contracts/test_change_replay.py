"""Replaying the change feed from the beginning gives exactly what the public lists show.

An integrator mirroring Gazette keeps, for each (type, id), the op of its latest change: an
upsert means "there", a delete means "gone". For every resource type that mirror must hold
exactly the ids the public list endpoints show, whichever way the content was written: the
demo loader, an NDJSON import, a mix of API writes, or a database from before every write
recorded its changes, healed by its migration.
"""

import orjson
from sqlalchemy import text

from app import cache
from app.demo.load import load as load_demo
from app.store import migrate
from tests.support.factories import bearer, make_key

LISTS = {
    "article": "/v1/articles",
    "quote": "/v1/quotes",
    "category": "/v1/categories",
    "person": "/v1/people",
    "source": "/v1/sources",
    "tag": "/v1/tags",
    "author": "/v1/authors",
}


# A live blog's updates have no list of their own: each public article's (`/v1/articles/{id}/updates`).
KINDS = (*LISTS, "update")


def _replayed(client) -> dict[str, set[str]]:
    latest: dict[tuple[str, str], str] = {}
    cursor = None
    while True:
        response = client.get("/v1/changes", params={"limit": 1000, **({"since": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        for change in body["data"]:
            latest[(change["type"], change["id"])] = change["op"]
        cursor = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            break
    return {kind: {rid for (t, rid), op in latest.items() if t == kind and op == "upsert"} for kind in KINDS}


def _listed(client) -> dict[str, set[str]]:
    shown: dict[str, set[str]] = {}
    for kind, path in LISTS.items():
        ids: set[str] = set()
        params: dict[str, object] = {"limit": 100} if kind != "category" else {}
        while True:
            response = client.get(path, params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            ids |= {item["id"] for item in body["data"]}
            following = (body.get("meta") or {}).get("next_cursor")
            if not following:
                break
            params = {"limit": 100, "cursor": following}
        shown[kind] = ids
    shown["update"] = set()
    for article_id in shown["article"]:
        cursor = None
        while True:
            response = client.get(
                f"/v1/articles/{article_id}/updates", params={"limit": 100, **({"cursor": cursor} if cursor else {})}
            )
            assert response.status_code == 200, response.text
            shown["update"] |= {u["id"] for u in response.json()["data"]}
            cursor = response.json()["meta"]["next_cursor"]
            if not cursor:
                break
    return shown


def _assert_mirror_matches(client) -> dict[str, set[str]]:
    replayed, listed = _replayed(client), _listed(client)
    for kind in KINDS:
        assert replayed[kind] == listed[kind], kind
    return listed


def test_after_the_demo_every_type_replays_to_its_list(client, session):
    load_demo(session)
    session.commit()

    listed = _assert_mirror_matches(client)
    assert all(listed[kind] for kind in KINDS)  # the demo has some of everything


def _lines(*items: tuple[str, dict]) -> bytes:
    return b"".join(orjson.dumps({"type": kind, "data": data}) + b"\n" for kind, data in items)


def test_after_an_import_every_type_replays_to_its_list(client, session):
    secret = make_key(session, "content:write", "content:publish")
    body = _lines(
        ("category", {"slug": "monde", "name": "Monde"}),
        ("category", {"slug": "asie", "name": "Asie", "parent": "monde"}),
        ("tag", {"slug": "climat", "name": "Climat"}),
        ("author", {"slug": "lea-roux", "name": "Léa Roux"}),
        ("source", {"slug": "afp", "name": "AFP", "kind": "news_agency"}),
        (
            "article",
            {
                "external_id": "imp-1",
                "title": "Typhon sur Manille",
                "status": "published",
                "category": "asie",
                "tags": ["climat"],
                "authors": ["lea-roux"],
                "body": [{"type": "quote", "quote": 0}],
                "quotes": [
                    {
                        "text": "Nous évacuons.",
                        "speaker": {"name": "Ana Reyes"},
                        "speaker_role": "maire",
                        "source": {"name": "Radio Manille", "kind": "broadcaster"},
                    }
                ],
                "attributions": [{"source": "afp", "role": "wire", "label": "Avec AFP"}],
            },
        ),
        (
            "article",
            {
                "external_id": "imp-2",
                "title": "Brouillon",
                "status": "draft",
                "quotes": [{"text": "Pas encore.", "speaker": {"name": "Ana Reyes"}}],
            },
        ),
    )

    response = client.post(
        "/v1/import", content=body, headers={"Content-Type": "application/x-ndjson", **bearer(secret)}
    )

    assert response.status_code == 200 and response.json()["errors"] == [], response.text
    listed = _assert_mirror_matches(client)
    assert len(listed["quote"]) == 1 and len(listed["person"]) == 1 and len(listed["source"]) == 2


def test_after_mixed_api_writes_every_type_replays_to_its_list(client, session):
    h = bearer(make_key(session, "content:write", "content:publish", "admin"))
    for path, data in (
        ("/v1/categories", {"name": "Europe"}),
        ("/v1/tags", {"name": "Élections"}),
        ("/v1/tags", {"name": "Brexit"}),
        ("/v1/sources", {"name": "Le Soir"}),
    ):
        assert client.post(path, json=data, headers=h).status_code == 201
    first = client.post(
        "/v1/articles",
        headers=h,
        json={
            "title": "Vote à Bruxelles",
            "status": "published",
            "category": "europe",
            "tags": ["elections", "brexit"],
            "quotes": [
                {
                    "text": "Un vote serré.",
                    "speaker": {"name": "Marc Dubois", "current_role": "député"},
                    "source": "le-soir",
                },
                {"text": "Nous verrons.", "speaker": {"name": "Inès Haddad"}},
            ],
            "body": [{"type": "quote", "quote": 0}, {"type": "quote", "quote": 1}],
        },
    ).json()
    second = client.post(
        "/v1/articles",
        headers=h,
        json={
            "title": "Sommet à Berlin",
            "status": "published",
            "live": {},
            "quotes": [{"text": "Un accord est proche.", "speaker": "marc-dubois"}],
        },
    ).json()
    blog = client.post("/v1/articles", headers=h, json={"title": "En direct", "status": "published", "live": {}}).json()
    update = {"body": [{"type": "paragraph", "text": "Du nouveau."}]}
    for article in (second, blog, blog):
        assert client.post(f"/v1/articles/{article['id']}/updates", json=update, headers=h).status_code == 201
    kept, dropped = (u["id"] for u in client.get(f"/v1/articles/{blog['id']}/updates").json()["data"])
    gone = client.delete(f"/v1/articles/{blog['id']}/updates/{dropped}", headers={**h, "If-Match": "*"})
    assert gone.status_code == 204
    alone = client.post("/v1/quotes", headers=h, json={"text": "Seul.", "speaker": {"name": "Yves Ka"}}).json()
    # A draft's inline speaker and source are in neither the feed nor the lists.
    draft = {"title": "Pas encore", "quotes": [{"text": "Bientôt.", "speaker": {"name": "Zoé Brouillon"}}]}
    draft["attributions"] = [{"source": {"name": "Gazette du Soir"}, "role": "read_on"}]
    assert client.post("/v1/articles", headers=h, json=draft).status_code == 201

    # Rename a source, delete a tag an article shows, unpublish one article, drop a quote of
    # the other, delete a lone quote, turn the site's comments off.
    assert (
        client.patch(
            "/v1/sources/le-soir", json={"name": "Le Soir (Bruxelles)"}, headers={**h, "If-Match": "*"}
        ).status_code
        == 200
    )
    assert client.delete("/v1/tags/brexit", headers={**h, "If-Match": "*"}).status_code == 204
    assert client.post(f"/v1/articles/{second['id']}/unpublish", headers={**h, "If-Match": "*"}).status_code == 200
    patched = client.patch(
        f"/v1/articles/{first['id']}",
        headers={**h, "If-Match": "*"},
        json={
            "quotes": [{"id": first["quotes"][0]["id"], "text": "Un vote très serré.", "speaker": "marc-dubois"}],
            "body": [{"type": "quote", "quote": 0}],
        },
    )
    assert patched.status_code == 200, patched.text
    assert client.delete(f"/v1/quotes/{alone['id']}", headers={**h, "If-Match": "*"}).status_code == 204
    assert (
        client.put("/v1/settings/comments", json={"enabled": False, "reason": "Élections"}, headers=h).status_code
        == 200
    )

    listed = _assert_mirror_matches(client)
    assert listed["article"] == {first["id"], blog["id"]} and len(listed["quote"]) == 1
    assert listed["update"] == {kept}
    assert len(listed["person"]) == 3 and len(listed["tag"]) == 1 and len(listed["source"]) == 1


def _reset_to_the_old_feed(session) -> None:
    """What a database written before every write recorded its changes looks like: only the
    articles had changes."""
    session.execute(text("DELETE FROM change WHERE resource_type <> 'article'"))
    session.commit()


def test_a_database_from_before_heals_when_migrated(client, session, database_url):
    load_demo(session)
    session.commit()
    _reset_to_the_old_feed(session)
    assert _replayed(client)["quote"] == set()  # the bug, as an integrator met it

    migrate.downgrade("e2d4b7a91c3f", database_url)
    migrate.upgrade("heads", database_url)
    cache.clear()  # what a restart after migrating does: the feed's pages were cached before

    listed = _assert_mirror_matches(client)
    assert listed["quote"]
