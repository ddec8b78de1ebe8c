"""Every delete in the change feed, and its webhook, says why: an integrator tells a takedown
from an expiry or a deletion without a second request."""

from tests.support.editorial import create, desk, patch
from tests.support.factories import bearer, make_key


def _deletes(client) -> list[tuple[str, str, str | None]]:
    return [(c["type"], c["id"], c["reason"]) for c in client.get("/v1/changes").json()["data"] if c["op"] == "delete"]


def _subscribe(client, session) -> tuple[dict, dict]:
    admin = bearer(make_key(session, "admin"))
    hook = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=admin)
    return admin, hook.json()


def _payloads(client, admin, hook, event: str) -> list[dict]:
    found = client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 100}, headers=admin).json()
    return [d["payload"] for d in found["data"] if d["event_type"] == event]


def test_unpublishing_deleting_and_drafting_each_give_their_reason(client, session):
    headers = desk(session)
    admin, hook = _subscribe(client, session)
    quoted = {"quotes": [{"text": "Dit.", "speaker": {"name": "Ana Lima"}}]}
    unpublished = create(client, headers, status="published", **quoted)
    deleted = create(client, headers, status="published")
    drafted = create(client, headers, status="published")

    client.post(f"/v1/articles/{unpublished['id']}/unpublish", headers=headers)
    client.delete(f"/v1/articles/{deleted['id']}", headers={**headers, "If-Match": f'"{deleted["version"]}"'})
    patch(client, headers, drafted, {"status": "draft"})

    assert _deletes(client) == [
        ("article", unpublished["id"], "unpublished"),
        ("quote", unpublished["quotes"][0]["id"], "unpublished"),
        ("article", deleted["id"], "deleted"),
        ("article", drafted["id"], "unpublished"),
    ]
    assert [p["reason"] for p in _payloads(client, admin, hook, "article.unpublished")] == ["unpublished"] * 2
    assert [p["reason"] for p in _payloads(client, admin, hook, "article.deleted")] == ["deleted"]
    assert [p["reason"] for p in _payloads(client, admin, hook, "quote.deleted")] == ["unpublished"]
    assert all("reason" not in p for p in _payloads(client, admin, hook, "article.published"))


def test_a_quote_deleted_or_moved_out_of_view_says_which(client, session):
    headers = desk(session)
    public = create(client, headers, status="published")
    draft = create(client, headers)
    moved = client.post("/v1/quotes", json={"text": "Bougé.", "speaker": {"name": "Ana Lima"}}, headers=headers).json()
    gone = client.post("/v1/quotes", json={"text": "Parti.", "speaker": {"name": "Ana Lima"}}, headers=headers).json()

    client.patch(
        f"/v1/quotes/{moved['id']}",
        json={"article": draft["id"]},
        headers={**headers, "If-Match": f'"{moved["version"]}"'},
    )
    client.delete(f"/v1/quotes/{gone['id']}", headers={**headers, "If-Match": f'"{gone["version"]}"'})

    assert _deletes(client) == [("quote", moved["id"], "moved"), ("quote", gone["id"], "deleted")]
    assert client.get(f"/v1/articles/{public['id']}").status_code == 200


def test_an_upsert_has_no_reason(client, session):
    headers = desk(session)
    create(client, headers, status="published")

    assert [c["reason"] for c in client.get("/v1/changes").json()["data"]] == [None]
