"""Webhooks: admin subscriptions, a durable outbox, signed deliveries that survive a receiver outage."""

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from standardwebhooks import Webhook as Verifier

from app.articles import writes
from app.articles.schemas import ArticleCreate
from app.kit import jobs
from app.store.models import Article, ArticleStatus
from app.store.models.common import utcnow
from app.webhooks.delivery import Policy
from tests.api.keys.test_keys import bearer, make_key
from tests.support.factories import make_article
from tests.support.webhook_receiver import Receiver, drive


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def admin(session) -> dict[str, str]:
    return bearer(make_key(session, "admin"))


def _subscribe(client, admin, url: str, events: list[str] | None = None) -> dict:
    response = client.post("/v1/webhooks", json={"url": url, "events": events or ["*"]}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def _deliveries(client, admin, webhook_id: str) -> list[dict]:
    return client.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"limit": 100}, headers=admin).json()["data"]


def _change(session, article: Article, *, event: str) -> None:
    """An article change as the write endpoints make it: new version, then after_write."""
    article = session.get(Article, article.id)
    was_public = article.is_public
    article.version += 1
    if event == "article.updated":
        article.title += " (updated)"
    elif event == "article.unpublished":
        article.status = ArticleStatus.draft
    elif event == "article.deleted":
        article.deleted_at = utcnow()
    writes.after_write(session, article, was_public=was_public, event=event)
    session.commit()


def test_admin_creates_reads_updates_and_deletes_a_subscription(client, admin):
    created = client.post(
        "/v1/webhooks", json={"url": "https://example.org/hook", "events": ["article.published"]}, headers=admin
    )
    body = created.json()
    one = client.get(f"/v1/webhooks/{body['id']}", headers=admin).json()
    listed = client.get("/v1/webhooks", headers=admin).json()["data"]
    patched = client.patch(
        f"/v1/webhooks/{body['id']}", json={"events": ["article.published", "quote.created"]}, headers=admin
    ).json()
    deleted = client.delete(f"/v1/webhooks/{body['id']}", headers=admin)

    assert created.status_code == 201 and created.headers["location"] == f"/v1/webhooks/{body['id']}"
    assert body["url"] == "https://example.org/hook" and body["events"] == ["article.published"]
    assert body["enabled"] is True and body["secret"].startswith("whsec_")
    assert "secret" not in one and all("secret" not in w for w in listed)
    assert patched["events"] == ["article.published", "quote.created"]
    assert deleted.status_code == 204
    assert client.get(f"/v1/webhooks/{body['id']}", headers=admin).status_code == 404


def test_webhooks_need_an_admin_key(client, session):
    writer = bearer(make_key(session, "content:write", "content:publish", name="cms"))
    hook = {"url": "https://example.org/hook", "events": ["*"]}

    assert client.post("/v1/webhooks", json=hook).status_code == 401
    assert client.post("/v1/webhooks", json=hook, headers=writer).status_code == 403
    assert client.get("/v1/webhooks", headers=writer).status_code == 403


def test_bad_subscription_bodies_are_422_naming_the_field(client, admin):
    cases = [
        ({"url": "ftp://example.org/x", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "https://example.org/x", "events": ["article.exploded"]}, "events[0]"),
        ({"url": "https://example.org/x", "events": []}, "events"),
        ({"url": "https://example.org/x", "events": ["*"], "secret": "mine"}, "secret"),
    ]
    for body, field in cases:
        response = client.post("/v1/webhooks", json=body, headers=admin)

        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field


def test_outbox_holds_one_delivery_per_subscribed_event(client, session, admin):
    published = _subscribe(client, admin, "https://example.org/a", ["article.published"])
    unpublished = _subscribe(client, admin, "https://example.org/b", ["article.unpublished"])
    article = make_article(session)
    make_article(session, status="draft")
    _change(session, article, event="article.unpublished")

    assert [d["event_type"] for d in _deliveries(client, admin, published["id"])] == ["article.published"]
    assert [d["event_type"] for d in _deliveries(client, admin, unpublished["id"])] == ["article.unpublished"]


def test_outbox_rolls_back_with_the_change(client, session, admin):
    hook = _subscribe(client, admin, "https://example.org/a")
    writes.create(session, ArticleCreate.model_validate({"title": "Never", "status": "published"}))
    session.rollback()

    assert _deliveries(client, admin, hook["id"]) == []


def test_payload_is_the_resource_as_the_api_shows_it_and_a_tombstone_once_gone(client, session, admin):
    hook = _subscribe(client, admin, "https://example.org/a")
    article = make_article(session)
    shown = client.get(f"/v1/articles/{article.id}").json()
    _change(session, article, event="article.deleted")

    first, gone = reversed(_deliveries(client, admin, hook["id"]))

    assert first["payload"]["type"] == "article.published" and first["payload"]["timestamp"].endswith("Z")
    assert first["payload"]["data"] == shown
    assert gone["payload"]["data"] == {"id": article.id, "slug": article.slug}


def test_receiver_down_then_up_gets_every_event_once_in_order_with_valid_signatures(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)
    one, two, three = make_article(session), make_article(session), make_article(session)
    _change(session, one, event="article.updated")
    _change(session, two, event="article.unpublished")
    _change(session, one, event="article.updated")
    _change(session, three, event="article.deleted")
    expected = {
        one.id: ["article.published", "article.updated", "article.updated"],
        two.id: ["article.published", "article.unpublished"],
        three.id: ["article.published", "article.deleted"],
    }

    drive(lambda: all(d["attempts"] >= 2 for d in _deliveries(client, admin, hook["id"])[-3:]))  # refused
    receiver.status = 503
    receiver.start()
    drive(lambda: len(receiver.requests) >= 6)  # answered, but failing
    receiver.status = 200
    drive(lambda: all(d["status"] == "delivered" for d in _deliveries(client, admin, hook["id"])))

    got = receiver.received()
    assert len(got) == 7 and len({r["headers"]["webhook-id"] for r in got}) == 7
    for resource_id, events in expected.items():
        assert [r["json"]["type"] for r in got if r["json"]["data"]["id"] == resource_id] == events
    for r in got:
        assert Verifier(hook["secret"]).verify(r["body"], r["headers"]) == r["json"]


def test_delivery_log_shows_each_attempt_with_its_status_code(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)
    receiver.status = 500
    receiver.start()
    make_article(session)
    drive(lambda: len(receiver.requests) >= 2)
    receiver.status = 204
    drive(lambda: _deliveries(client, admin, hook["id"])[0]["status"] == "delivered")

    delivery = _deliveries(client, admin, hook["id"])[0]

    assert [a["status_code"] for a in delivery["log"]][-1] == 204
    assert {a["status_code"] for a in delivery["log"][:-1]} == {500}
    assert delivery["attempts"] == len(delivery["log"]) and delivery["last_status_code"] == 204
    assert delivery["log"][0]["error"] == "HTTP 500" and delivery["delivered_at"] is not None


def test_a_subscription_that_keeps_failing_is_disabled_with_a_reason(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)
    receiver.status = 500
    receiver.start()
    make_article(session)
    short = Policy(base_seconds=0.05, max_seconds=0.1, max_age=timedelta(seconds=0.5), timeout_seconds=5)

    drive(lambda: not client.get(f"/v1/webhooks/{hook['id']}", headers=admin).json()["enabled"], policy=short)
    sent = len(receiver.requests)
    make_article(session)
    drive(lambda: True, policy=short)

    disabled = client.get(f"/v1/webhooks/{hook['id']}", headers=admin).json()
    assert "HTTP 500" in disabled["disabled_reason"] and disabled["consecutive_failures"] >= 2
    assert _deliveries(client, admin, hook["id"])[0]["status"] == "dead"
    assert len(receiver.requests) == sent  # nothing more is sent, nothing new is queued


def test_manual_retry_resends_a_dead_delivery_once_the_subscription_is_enabled_again(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)
    receiver.status = 500
    receiver.start()
    make_article(session)
    short = Policy(base_seconds=0.05, max_seconds=0.1, max_age=timedelta(seconds=0.3), timeout_seconds=5)
    drive(lambda: _deliveries(client, admin, hook["id"])[0]["status"] == "dead", policy=short)
    receiver.status = 200

    enabled = client.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True}, headers=admin).json()
    dead = _deliveries(client, admin, hook["id"])[0]
    retried = client.post(f"/v1/webhooks/{hook['id']}/deliveries/{dead['id']}/retry", headers=admin)
    drive(lambda: _deliveries(client, admin, hook["id"])[0]["status"] == "delivered")

    assert enabled["enabled"] is True and enabled["disabled_reason"] is None
    assert retried.status_code == 202 and retried.json()["status"] == "pending"
    assert len(receiver.received()) == 1
    again = client.post(f"/v1/webhooks/{hook['id']}/deliveries/{dead['id']}/retry", headers=admin)
    assert again.status_code == 409


def test_retry_of_an_unknown_delivery_is_404(client, admin):
    hook = _subscribe(client, admin, "https://example.org/a")

    for delivery_id in ("12345", "nope", "9" * 40):
        response = client.post(f"/v1/webhooks/{hook['id']}/deliveries/{delivery_id}/retry", headers=admin)
        assert response.status_code == 404
    assert client.get("/v1/webhooks/nope/deliveries", headers=admin).status_code == 404


def test_a_disabled_subscription_gets_no_new_events(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)
    receiver.start()
    client.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": False}, headers=admin)
    make_article(session)  # not queued for a disabled subscription
    client.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True}, headers=admin)
    make_article(session)

    drive(lambda: len(receiver.received()) == 1)

    assert [d["status"] for d in _deliveries(client, admin, hook["id"])] == ["delivered"]


def test_background_job_round_delivers(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)
    receiver.start()
    make_article(session)

    jobs.run_once()

    assert len(receiver.received()) == 1
    assert _deliveries(client, admin, hook["id"])[0]["status"] == "delivered"


def test_gazette_worker_once_delivers(client, session, admin, receiver):
    _subscribe(client, admin, receiver.url)
    receiver.start()
    make_article(session)

    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "worker", "--once"], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 5
    while not receiver.received() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.received()[0]["json"]["type"] == "article.published"


def test_workers_side_by_side_never_send_the_same_delivery_twice(client, session, admin, receiver):
    _subscribe(client, admin, receiver.url)
    receiver.start()
    articles = [make_article(session) for _ in range(12)]
    for article in articles[:6]:
        _change(session, article, event="article.updated")
        _change(session, article, event="article.updated")
    total = 12 + 12

    workers = [threading.Thread(target=drive, args=(lambda: len(receiver.received()) >= total,)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    got = receiver.received()
    assert len(got) == total and len({r["headers"]["webhook-id"] for r in got}) == total
    for article in articles[:6]:
        versions = [r["json"]["data"]["version"] for r in got if r["json"]["data"]["id"] == article.id]
        assert versions == [1, 2, 3]


def test_delivery_log_pages_newest_first_and_filters_by_status(client, session, admin):
    hook = _subscribe(client, admin, "https://example.org/a")
    ids = [make_article(session).id for _ in range(3)]
    url = f"/v1/webhooks/{hook['id']}/deliveries"

    first = client.get(url, params={"limit": 2}, headers=admin).json()
    rest = client.get(url, params={"limit": 2, "cursor": first["meta"]["next_cursor"]}, headers=admin).json()
    pending = client.get(url, params={"status": "pending", "count": "true"}, headers=admin).json()
    bad = client.get(url, params={"status": "lost"}, headers=admin)

    assert [d["payload"]["data"]["id"] for d in first["data"] + rest["data"]] == ids[::-1]
    assert rest["meta"]["has_more"] is False and pending["meta"]["total"] == 3
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"
