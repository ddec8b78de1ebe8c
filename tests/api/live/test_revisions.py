"""An update's revisions over HTTP: one read with its snapshot, and restored as a new version
with its own revision, a change in the feed, an update.updated webhook and a purge of the
blog's pages; the update keeps its place (published_at) in the blog."""

import pytest

from tests.support.editorial import create, desk
from tests.support.factories import bearer, make_key
from tests.support.webhook_receiver import Receiver, drive

MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def headers(session) -> dict[str, str]:
    return desk(session)


def _blog(client, headers, **fields) -> dict:
    return create(client, headers, title="En direct", status="published", live={}, **fields)


def _update(client, headers, blog: dict, **fields) -> tuple[dict, str]:
    """An update at version 2: `Première version.` then `Corrigée.` with a headline, key event."""
    response = client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={"body": [{"type": "paragraph", "text": "Première version."}], **fields},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    path = f"/v1/articles/{blog['id']}/updates/{response.json()['id']}"
    changed = client.patch(
        path,
        json={"headline": "Corrigé", "key_event": True, "body": [{"type": "paragraph", "text": "Corrigée."}]},
        headers={**headers, **MERGE, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    return changed.json(), path


def test_one_revision_is_read_with_its_snapshot_and_a_key(client, headers, session):
    blog = _blog(client, headers)
    _, path = _update(client, headers, blog)

    assert client.get(f"{path}/revisions/1").status_code == 401
    reader = desk(session, "content:read", name="reader")
    response = client.get(f"{path}/revisions/1", headers=reader)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    revision = response.json()
    assert revision["number"] == 1 and revision["key_name"] == "desk"
    assert revision["snapshot"]["headline"] is None and revision["snapshot"]["key_event"] is False
    assert revision["snapshot"]["body"] == [{"type": "paragraph", "text": "Première version."}]
    listed = client.get(f"{path}/revisions", headers=reader).json()["data"]
    assert revision == next(r for r in listed if r["number"] == 1)
    for missing in (f"{path}/revisions/3", f"/v1/articles/{blog['id']}/updates/nope/revisions/1"):
        answer = client.get(missing, headers=reader)
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    assert client.get(f"{path}/revisions/0", headers=reader).status_code in (400, 422)


def test_restoring_a_revision_is_a_new_version_with_its_own_revision_in_the_same_place(client, headers, session):
    blog = _blog(client, headers)
    update, path = _update(client, headers, blog)
    restorer = desk(session, "content:write", "content:read", name="restorer")

    response = client.post(f"{path}/revisions/1/restore", headers=restorer)

    assert response.status_code == 200, response.text
    restored = response.json()
    assert response.headers["etag"] == '"3"' and restored["version"] == 3
    assert restored["headline"] is None and restored["key_event"] is False
    assert restored["body"] == [{"type": "paragraph", "text": "Première version."}]
    assert "Première version." in restored["body_html"]
    assert restored["published_at"] == update["published_at"]
    assert client.get(path).json() == restored
    revisions = client.get(f"{path}/revisions", headers=headers).json()["data"]
    assert [(r["number"], r["key_name"]) for r in revisions] == [(3, "restorer"), (2, "desk"), (1, "desk")]
    assert revisions[0]["snapshot"] == revisions[2]["snapshot"]
    changes = client.get("/v1/changes", params={"types": "update"}).json()["data"]
    assert [(c["id"], c["op"], c["version"]) for c in changes][-1] == (update["id"], "upsert", 3)


def test_restore_checks_if_match_and_the_scope(client, headers, session):
    blog = _blog(client, headers)
    _, path = _update(client, headers, blog)

    assert client.post(f"{path}/revisions/1/restore").status_code == 401
    reader = desk(session, "content:read", name="reader")
    assert client.post(f"{path}/revisions/1/restore", headers=reader).status_code == 403
    stale = client.post(f"{path}/revisions/1/restore", headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.post(f"{path}/revisions/9/restore", headers=headers).status_code == 404
    current = client.post(f"{path}/revisions/1/restore", headers={**headers, "If-Match": '"2"'})
    assert current.status_code == 200 and current.json()["version"] == 3


def test_restoring_a_revision_showing_a_quote_the_blog_no_longer_has_is_422_naming_the_block(client, headers):
    quotes = [
        {"text": "Nous avons gagné.", "speaker": {"name": "Jeanne Martin"}},
        {"text": "Rien n'est joué.", "speaker": {"name": "Paul Durand"}},
    ]
    blog = _blog(client, headers, quotes=quotes)
    quote_id = blog["quotes"][0]["id"]
    _, path = _update(client, headers, blog, body=[{"type": "quote", "quote_id": quote_id}])
    assert client.delete(f"/v1/quotes/{quote_id}", headers={**headers, "If-Match": "*"}).status_code == 204

    response = client.post(f"{path}/revisions/1/restore", headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body[0].quote_id"
    assert client.get(path).json()["version"] == 2


def test_a_restore_purges_the_blogs_pages(client, headers):
    blog = _blog(client, headers)
    _, path = _update(client, headers, blog)
    updates = f"/v1/articles/{blog['id']}/updates"
    for _ in range(2):
        warmed = client.get(updates)
    assert warmed.headers["gazette-cache"] == "HIT"

    client.post(f"{path}/revisions/1/restore", headers=headers)

    listed = client.get(updates)
    assert listed.headers["gazette-cache"] == "MISS"
    assert listed.json()["data"][0]["body"] == [{"type": "paragraph", "text": "Première version."}]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_a_restore_raises_update_updated(client, session, receiver):
    admin = bearer(make_key(session, "admin"))
    client.post("/v1/webhooks", json={"url": receiver.url, "events": ["update.updated"]}, headers=admin)
    receiver.start()
    headers = desk(session)
    blog = _blog(client, headers)
    update, path = _update(client, headers, blog)

    client.post(f"{path}/revisions/1/restore", headers=headers)
    drive(lambda: len(receiver.requests) >= 2)

    got = [r["json"] for r in receiver.received()]
    assert [(e["type"], e["data"]["version"]) for e in got] == [("update.updated", 2), ("update.updated", 3)]
    assert got[1]["data"]["id"] == update["id"] and got[1]["data"]["headline"] is None
