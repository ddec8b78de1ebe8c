"""A live blog's updates over HTTP: written with a key, read newest first in a total order,
with `since`, embedded in the article, in the change feed, webhooks and the live stream,
and purging only the blog's own pages."""

from datetime import timedelta

import httpx
import pytest

from app.store import clock
from tests.support.editorial import create, desk, feed_tail, patch
from tests.support.events import events
from tests.support.factories import make_article, make_author

SSE = {"Accept": "text/event-stream"}
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def headers(session) -> dict[str, str]:
    return desk(session)


def _blog(client, headers, **fields) -> dict:
    fields.setdefault("live", {})
    return create(client, headers, title="En direct : la nuit électorale", status="published", **fields)


def _post(client, headers, blog_id: str, text: str = "Premiers résultats.", **fields) -> dict:
    response = client.post(
        f"/v1/articles/{blog_id}/updates",
        json={"body": [{"type": "paragraph", "text": text}], **fields},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [u["id"] for u in response.json()["data"]]


def test_an_article_is_made_a_live_blog_and_its_coverage_ended_by_patch(client, headers):
    article = create(client, headers, title="Un article", status="published")
    assert article["live"] is None

    made = patch(client, headers, article, {"live": {"coverage_started_at": "2026-03-15T18:00:00Z"}})
    assert made.status_code == 200, made.text
    assert made.json()["live"] == {
        "state": "live",
        "coverage_started_at": "2026-03-15T18:00:00Z",
        "coverage_ended_at": None,
    }

    ended = patch(client, headers, made.json(), {"live": {"coverage_ended_at": "2026-03-16T01:00:00Z"}}).json()
    assert ended["live"] == {
        "state": "ended",
        "coverage_started_at": "2026-03-15T18:00:00Z",
        "coverage_ended_at": "2026-03-16T01:00:00Z",
    }
    assert client.get(f"/v1/articles/{article['id']}").json()["live"] == ended["live"]


def test_an_update_is_created_read_patched_and_deleted_with_versions(client, headers, session):
    make_author(session, "claire-dupont", name="Claire Dupont")
    blog = _blog(client, headers)

    response = client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={
            "headline": "Participation",
            "body": [{"type": "paragraph", "text": "La participation atteint 42 % à 17 heures."}],
            "author": "claire-dupont",
            "key_event": True,
        },
        headers=headers,
    )

    assert response.status_code == 201, response.text
    update = response.json()
    assert response.headers["location"] == f"/v1/articles/{blog['id']}/updates/{update['id']}"
    assert response.headers["etag"] == '"1"' and update["version"] == 1
    assert update["author"] == {"slug": "claire-dupont", "name": "Claire Dupont"}
    assert update["key_event"] is True and update["pinned"] is False
    assert update["article"]["id"] == blog["id"]
    assert update["body_html"] == "<p>La participation atteint 42 % à 17 heures.</p>"
    read = client.get(f"/v1/articles/{blog['id']}/updates/{update['id']}")
    assert read.json() == update and read.headers["etag"].startswith('"1-')

    path = f"/v1/articles/{blog['id']}/updates/{update['id']}"
    assert client.patch(path, json={"pinned": True}, headers={**headers, **MERGE}).status_code == 428
    assert client.patch(path, json={"pinned": True}, headers={**headers, **MERGE, "If-Match": '"7"'}).status_code == 412
    changed = client.patch(
        path, json={"pinned": True, "headline": None}, headers={**headers, **MERGE, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    body = changed.json()
    assert (body["pinned"], body["headline"], body["version"], body["published_at"]) == (
        True,
        None,
        2,
        update["published_at"],
    )

    assert client.delete(path, headers={**headers, "If-Match": '"1"'}).status_code == 412
    assert client.delete(path, headers={**headers, "If-Match": '"2"'}).status_code == 204
    assert client.get(path).status_code == 404


def test_writes_need_content_write_and_a_live_blog(client, headers, session):
    blog = _blog(client, headers)
    plain = create(client, headers, title="Pas en direct", status="published")
    reader = desk(session, "content:read", name="reader")
    body = {"body": [{"type": "paragraph", "text": "Texte."}]}

    assert client.post(f"/v1/articles/{blog['id']}/updates", json=body).status_code == 401
    assert client.post(f"/v1/articles/{blog['id']}/updates", json=body, headers=reader).status_code == 403
    not_live = client.post(f"/v1/articles/{plain['id']}/updates", json=body, headers=headers)
    assert not_live.status_code == 409 and not_live.json()["errors"][0]["field"] == "live"
    assert client.post("/v1/articles/nope/updates", json=body, headers=headers).status_code == 404


def test_bad_updates_are_422_naming_the_field(client, headers, session):
    blog = _blog(client, headers)

    response = client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={"body": [{"type": "paragraph"}], "published_at": "hier", "key_event": "souvent"},
        headers=headers,
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"body[0].text", "published_at", "key_event"}

    empty = client.post(f"/v1/articles/{blog['id']}/updates", json={"body": []}, headers=headers)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body"
    unknown = client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={"body": [{"type": "paragraph", "text": "x"}], "author": "personne"},
        headers=headers,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "author"


def test_a_quote_block_shows_one_of_the_blogs_quotes_with_its_speaker(client, headers):
    blog = _blog(
        client,
        headers,
        quotes=[{"text": "Nous avons gagné.", "speaker": {"name": "Jeanne Martin"}, "speaker_role": "candidate"}],
    )
    quote_id = blog["quotes"][0]["id"]

    response = client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={"body": [{"type": "paragraph", "text": "Elle s'exprime."}, {"type": "quote", "quote_id": quote_id}]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    update = response.json()
    assert update["body"][1] == {"type": "quote", "quote_id": quote_id}
    assert (
        "<blockquote><p>Nous avons gagné.</p><footer>Jeanne Martin, candidate</footer></blockquote>"
        in update["body_html"]
    )

    stranger = client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={"body": [{"type": "quote", "quote_id": "0" * 26}]},
        headers=headers,
    )
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "body[0].quote_id"


def test_the_list_is_newest_first_and_ties_are_broken_by_id_the_same_way_every_time(client, headers):
    blog = _blog(client, headers)
    same = "2026-03-15T20:00:00Z"
    tied = [_post(client, headers, blog["id"], f"Même minute {n}.", published_at=same) for n in range(5)]
    older = _post(client, headers, blog["id"], "Plus tôt.", published_at="2026-03-15T19:00:00Z")
    newer = _post(client, headers, blog["id"], "Plus tard.", published_at="2026-03-15T21:00:00Z")

    expected = [newer["id"], *sorted((u["id"] for u in tied), reverse=True), older["id"]]
    path = f"/v1/articles/{blog['id']}/updates"
    assert _ids(client.get(path)) == expected
    assert _ids(client.get(path, params={"limit": 100, "count": "true"})) == expected

    walked, cursor = [], None
    while True:  # pages of 2 cut through the tie: nothing skipped, nothing repeated
        body = client.get(path, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        walked += [u["id"] for u in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            break
    assert walked == expected


def test_since_a_time_or_a_cursor_gives_only_what_came_after(client, headers):
    blog = _blog(client, headers)
    path = f"/v1/articles/{blog['id']}/updates"
    first = _post(client, headers, blog["id"], "Un.", published_at="2026-03-15T20:00:00Z")
    seen = client.get(path).json()["meta"]["since_cursor"]
    tied = _post(client, headers, blog["id"], "Deux, à la même seconde.", published_at="2026-03-15T20:00:00Z")
    later = _post(client, headers, blog["id"], "Trois.", published_at="2026-03-15T20:05:00Z")

    tied_after_first = tied["id"] > first["id"]
    assert _ids(client.get(path, params={"since": seen})) == [later["id"]] + ([tied["id"]] if tied_after_first else [])
    assert _ids(client.get(path, params={"since": "2026-03-15T20:00:00Z"})) == [later["id"]]
    assert len(_ids(client.get(path, params={"since": "2026-03-15T19:59:59Z"}))) == 3
    bad = client.get(path, params={"since": "bientôt"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "since"


def test_filters_by_key_event_and_pinned(client, headers):
    blog = _blog(client, headers)
    key = _post(client, headers, blog["id"], "Résultat.", key_event=True)
    pinned = _post(client, headers, blog["id"], "À la une.", pinned=True)
    _post(client, headers, blog["id"], "Ordinaire.")
    path = f"/v1/articles/{blog['id']}/updates"

    assert _ids(client.get(path, params={"key_event": "true"})) == [key["id"]]
    assert _ids(client.get(path, params={"pinned": "true"})) == [pinned["id"]]


def test_include_updates_embeds_the_newest_the_key_events_and_the_pinned(client, headers):
    blog = _blog(client, headers)
    key = _post(client, headers, blog["id"], "Le tournant.", key_event=True, published_at="2026-03-15T18:00:00Z")
    pinned = _post(client, headers, blog["id"], "Épinglé.", pinned=True, published_at="2026-03-15T18:30:00Z")
    rest = [
        _post(client, headers, blog["id"], f"Fil {n}.", published_at=f"2026-03-15T19:{n:02d}:00Z") for n in range(11)
    ]

    body = client.get(f"/v1/articles/{blog['id']}", params={"include": "updates"}).json()

    embedded = body["updates"]
    assert [u["id"] for u in embedded["latest"]] == [u["id"] for u in reversed(rest)][:10]
    assert [u["id"] for u in embedded["key_events"]] == [key["id"]]
    assert [u["id"] for u in embedded["pinned"]] == [pinned["id"]]
    following = client.get(f"/v1/articles/{blog['id']}/updates", params={"cursor": embedded["next_cursor"]})
    assert _ids(following) == [rest[0]["id"], pinned["id"], key["id"]]
    assert "updates" not in client.get(f"/v1/articles/{blog['id']}").json()
    bad = client.get(f"/v1/articles/{blog['id']}", params={"include": "everything"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "include"


def test_updates_of_a_blog_the_public_cannot_see_are_never_public(client, headers, session):
    draft = create(client, headers, title="Brouillon en direct", live={})
    update = _post(client, headers, draft["id"], "Pas encore.")
    paths = [f"/v1/articles/{draft['id']}/updates", f"/v1/articles/{draft['id']}/updates/{update['id']}"]

    for path in paths:
        assert client.get(path).status_code == 404
        private = client.get(path, headers=headers)
        assert private.status_code == 200 and private.headers["cache-control"] == "private, no-store"
    changes = client.get("/v1/changes", params={"types": "update"}).json()["data"]
    assert changes == []


def test_updates_leave_the_public_with_their_expired_blog(client, headers):
    blog = _blog(client, headers, expires_at=(clock.now() + timedelta(minutes=5)).isoformat())
    update = _post(client, headers, blog["id"])
    path = f"/v1/articles/{blog['id']}/updates/{update['id']}"
    assert client.get(path).status_code == 200

    clock.advance(timedelta(minutes=6))

    assert client.get(path).status_code == 410
    assert client.get(f"/v1/articles/{blog['id']}/updates").status_code == 410


def test_updates_are_in_the_change_feed_with_their_article_and_a_reason_when_deleted(client, headers):
    blog = _blog(client, headers)
    update = _post(client, headers, blog["id"])
    path = f"/v1/articles/{blog['id']}/updates/{update['id']}"
    client.patch(path, json={"key_event": True}, headers={**headers, **MERGE, "If-Match": '"1"'})
    client.delete(path, headers={**headers, "If-Match": '"2"'})

    changes = client.get("/v1/changes", params={"types": "update"}).json()["data"]

    assert [(c["type"], c["id"], c["article"], c["op"], c["version"], c["reason"]) for c in changes] == [
        ("update", update["id"], blog["id"], "upsert", 1, None),
        ("update", update["id"], blog["id"], "upsert", 2, None),
        ("update", update["id"], blog["id"], "delete", 3, "deleted"),
    ]
    articles = client.get("/v1/changes", params={"types": "article"}).json()["data"]
    assert all("article" not in c for c in articles)


def test_unpublishing_the_blog_deletes_its_updates_from_the_feed_and_publishing_brings_them_back(client, headers):
    blog = _blog(client, headers)
    update = _post(client, headers, blog["id"])

    assert client.post(f"/v1/articles/{blog['id']}/unpublish", headers=headers).status_code == 200
    assert client.post(f"/v1/articles/{blog['id']}/publish", headers=headers).status_code == 200

    changes = client.get("/v1/changes", params={"types": "update"}).json()["data"]
    assert [(c["id"], c["op"], c["reason"]) for c in changes] == [
        (update["id"], "upsert", None),
        (update["id"], "delete", "unpublished"),
        (update["id"], "upsert", None),
    ]


def test_an_update_arrives_on_an_open_live_stream(client, headers, server):
    blog = _blog(client, headers)
    with httpx.Client(base_url=server, timeout=httpx.Timeout(30, read=20)) as sse:
        with sse.stream("GET", "/v1/changes", params={"types": "update"}, headers=SSE) as response:
            stream = events(response)
            assert next(stream) == {"retry": "2000"}
            update = _post(client, headers, blog["id"], "En direct du stream.")
            got = next(e for e in stream if "data" in e)

    assert got["data"]["type"] == "update" and got["data"]["id"] == update["id"]
    assert got["data"]["article"] == blog["id"] and got["data"]["op"] == "upsert"


def _warm(client, path: str, **params) -> httpx.Response:
    client.get(path, params=params)
    response = client.get(path, params=params)
    assert response.headers["gazette-cache"] == "HIT", path
    return response


def test_an_update_write_purges_only_the_blogs_own_pages(client, headers, session):
    blog = _blog(client, headers)
    other = make_article(session)
    _post(client, headers, blog["id"], "Avant.")
    updates = f"/v1/articles/{blog['id']}/updates"
    keys = _warm(client, updates).headers["surrogate-key"].split()
    assert f"updates:{blog['id']}" in keys and "articles" not in keys
    embedded = _warm(client, f"/v1/articles/{blog['id']}", include="updates")
    assert f"updates:{blog['id']}" in embedded.headers["surrogate-key"].split()
    for path in (
        f"/v1/articles/{blog['id']}",
        f"/v1/articles/{other.id}",
        "/v1/articles",
        "/v1/quotes",
        "/feeds/rss.xml",
    ):
        _warm(client, path)
    _warm(client, f"/v1/articles/{blog['id']}", format="jsonld")

    update = _post(client, headers, blog["id"], "Après.")

    listed = client.get(updates)
    assert listed.headers["gazette-cache"] == "MISS" and listed.json()["data"][0]["id"] == update["id"]
    assert client.get(f"/v1/articles/{blog['id']}", params={"include": "updates"}).headers["gazette-cache"] == "MISS"
    assert client.get(f"/v1/articles/{blog['id']}", params={"format": "jsonld"}).headers["gazette-cache"] == "MISS"
    for path in (
        f"/v1/articles/{blog['id']}",
        f"/v1/articles/{other.id}",
        "/v1/articles",
        "/v1/quotes",
        "/feeds/rss.xml",
    ):
        assert client.get(path).headers["gazette-cache"] == "HIT", path


def test_a_write_to_another_article_leaves_the_updates_cached(client, headers, session):
    blog = _blog(client, headers)
    _post(client, headers, blog["id"])
    other = create(client, headers, title="Autre", status="published")
    _warm(client, f"/v1/articles/{blog['id']}/updates")

    assert patch(client, headers, other, {"title": "Autre encore"}).status_code == 200

    assert client.get(f"/v1/articles/{blog['id']}/updates").headers["gazette-cache"] == "HIT"


def test_json_ld_of_a_live_blog_is_a_live_blog_posting_with_its_updates(client, headers):
    blog = _blog(client, headers, live={"coverage_started_at": "2026-03-15T18:00:00Z"})
    _post(client, headers, blog["id"], "Un </script><script>alert(1)</script> piège.", headline="Piège")
    _post(client, headers, blog["id"], "Sans titre, un texte qui sert de titre.")

    response = client.get(f"/v1/articles/{blog['id']}", params={"format": "jsonld"})

    assert b"</script>" not in response.content
    doc = response.json()
    assert doc["@type"] == "LiveBlogPosting" and doc["coverageStartTime"] == "2026-03-15T18:00:00Z"
    assert "coverageEndTime" not in doc
    posts = doc["liveBlogUpdate"]
    assert [p["@type"] for p in posts] == ["BlogPosting", "BlogPosting"]
    assert posts[0]["headline"] == "Sans titre, un texte qui sert de titre."
    assert posts[1]["headline"] == "Piège" and "alert(1)" in posts[1]["articleBody"]
    assert all(p["datePublished"] for p in posts)
    ended = patch(
        client,
        headers,
        client.get(f"/v1/articles/{blog['id']}", headers=headers).json(),
        {"live": {"coverage_ended_at": "2026-03-16T00:00:00Z"}},
    )
    assert ended.status_code == 200
    assert (
        client.get(f"/v1/articles/{blog['id']}", params={"format": "jsonld"}).json()["coverageEndTime"]
        == "2026-03-16T00:00:00Z"
    )
    plain = create(client, headers, title="Ordinaire", status="published")
    assert client.get(f"/v1/articles/{plain['id']}", params={"format": "jsonld"}).json()["@type"] == "NewsArticle"


def test_every_version_of_an_update_is_a_revision_with_the_key_that_wrote_it(client, headers, session):
    blog = _blog(client, headers)
    update = _post(client, headers, blog["id"], "Première version.")
    path = f"/v1/articles/{blog['id']}/updates/{update['id']}"
    other = desk(session, name="second-desk")
    client.patch(path, json={"headline": "Corrigé"}, headers={**other, **MERGE, "If-Match": '"1"'})

    assert client.get(f"{path}/revisions").status_code == 401
    response = client.get(f"{path}/revisions", headers=headers)

    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    revisions = response.json()["data"]
    assert [(r["number"], r["key_name"], r["snapshot"]["headline"]) for r in revisions] == [
        (2, "second-desk", "Corrigé"),
        (1, "desk", None),
    ]
    assert revisions[1]["snapshot"]["body"] == [{"type": "paragraph", "text": "Première version."}]
    assert client.get(f"/v1/articles/{blog['id']}/updates/nope/revisions", headers=headers).status_code == 404


def test_coverage_cannot_end_before_it_began(client, headers):
    response = client.post(
        "/v1/articles",
        json={
            "title": "En direct",
            "live": {"coverage_started_at": "2026-03-15T18:00:00Z", "coverage_ended_at": "2026-03-15T17:00:00Z"},
        },
        headers=headers,
    )

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "live.coverage_ended_at"


def test_renaming_a_speaker_shows_in_the_updates_that_quote_them(client, headers):
    blog = _blog(client, headers, quotes=[{"text": "Nous avons gagné.", "speaker": {"name": "Jeanne Martin"}}])
    response = client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={"body": [{"type": "quote", "quote_id": blog["quotes"][0]["id"]}]},
        headers=headers,
    )
    update = response.json()
    path = f"/v1/articles/{blog['id']}/updates"
    _warm(client, path)
    since = feed_tail(client)

    renamed = client.patch(
        "/v1/people/jeanne-martin", json={"name": "Jeanne Martin-Roux"}, headers={**headers, "If-Match": "*"}
    )

    assert renamed.status_code == 200, renamed.text
    listed = client.get(path)
    assert listed.headers["gazette-cache"] == "MISS"
    assert "<footer>Jeanne Martin-Roux</footer>" in listed.json()["data"][0]["body_html"]
    assert client.get(f"{path}/{update['id']}").json()["version"] == 1
    changes = client.get("/v1/changes", params={"since": since, "types": "update"}).json()["data"]
    shown = [(c["id"], c["article"], c["op"], c["version"]) for c in changes]
    assert shown == [(update["id"], blog["id"], "upsert", 1)]


def test_include_updates_on_a_list_is_400_naming_include(client, headers):
    _post(client, headers, _blog(client, headers)["id"])

    for include in ("updates", "quotes,updates"):
        response = client.get("/v1/articles", params={"include": include})

        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert error["field"] == "include" and "one article" in error["message"]
