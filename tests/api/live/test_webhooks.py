"""A live blog's updates raise update.created, update.updated and update.deleted, delivered
signed like every event, each naming its article."""

import pytest
from standardwebhooks import Webhook as Verifier

from tests.support.editorial import create, desk
from tests.support.factories import bearer, make_key
from tests.support.webhook_receiver import Receiver, drive

MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_update_events_are_delivered_with_the_update_and_a_tombstone_naming_its_article(client, session, receiver):
    admin = bearer(make_key(session, "admin"))
    hook = client.post(
        "/v1/webhooks",
        json={"url": receiver.url, "events": ["update.created", "update.updated", "update.deleted"]},
        headers=admin,
    ).json()
    receiver.start()
    headers = desk(session)
    blog = create(client, headers, title="En direct", status="published", live={})
    draft = create(client, headers, title="Brouillon en direct", live={})
    body = {"body": [{"type": "paragraph", "text": "Il se passe quelque chose."}]}
    update = client.post(f"/v1/articles/{blog['id']}/updates", json=body, headers=headers).json()
    client.post(f"/v1/articles/{draft['id']}/updates", json=body, headers=headers)  # never public: no event
    path = f"/v1/articles/{blog['id']}/updates/{update['id']}"
    client.patch(path, json={"pinned": True}, headers={**headers, **MERGE, "If-Match": '"1"'})
    assert client.delete(path, headers={**headers, "If-Match": '"2"'}).status_code == 204

    drive(lambda: len(receiver.requests) >= 3)

    got = receiver.received()
    assert [r["json"]["type"] for r in got] == ["update.created", "update.updated", "update.deleted"]
    created, updated, deleted = (r["json"]["data"] for r in got)
    assert created["id"] == update["id"] and created["article"]["id"] == blog["id"] and created["pinned"] is False
    assert updated["pinned"] is True and updated["version"] == 2
    assert deleted == {"id": update["id"], "article": blog["id"]} and got[2]["json"]["reason"] == "deleted"
    for r in got:
        assert Verifier(hook["secret"]).verify(r["body"], r["headers"]) == r["json"]
