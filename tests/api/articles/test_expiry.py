"""Expiry: an article published until `expires_at` leaves every public path at that time, by
itself; no cache keeps it past then; keyed readers see it expired; it can be republished."""

import re
from datetime import timedelta

from app.kit import jobs
from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, patch, publish
from tests.support.factories import bearer, make_key


def _in(minutes: float) -> str:
    return iso(utcnow() + timedelta(minutes=minutes))


def _max_ages(response) -> tuple[int, int]:
    control = response.headers["cache-control"]
    found = dict(re.findall(r"(max-age|s-maxage)=(\d+)", control))
    return int(found["max-age"]), int(found["s-maxage"])


def test_an_expired_article_answers_410_by_id_and_slug_from_every_read_path(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", expires_at=_in(10))
    by_id, by_slug = f"/v1/articles/{article['id']}", f"/v1/articles/slug/{article['slug']}"
    for path in (by_id, by_slug, by_id, f"{by_id}?format=ninjs"):  # the second read: the response cache
        assert client.get(path).status_code == 200

    clock.advance(timedelta(minutes=11))  # before any round of the jobs: the clock alone decides

    for path in (by_id, by_slug, f"{by_id}?format=ninjs", f"{by_id}?format=jsonld", f"{by_id}?fields=id"):
        gone = client.get(path)
        assert gone.status_code == 410, (path, gone.text)
        assert gone.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/articles").json()["data"] == []
    jobs.run_once()
    assert client.get(by_id).status_code == 410 and client.get(by_slug).status_code == 410


def test_a_public_answer_holding_an_article_with_an_expiry_is_cached_no_longer_than_it_lives(client, session):
    headers = desk(session)
    lasting = create(client, headers, status="published", title="Durable")
    article = create(client, headers, status="published", expires_at=_in(2))

    for path in (f"/v1/articles/{article['id']}", f"/v1/articles/slug/{article['slug']}", "/v1/articles"):
        for _ in range(2):  # built, then from the cache
            response = client.get(path)
            assert response.status_code == 200
            max_age, s_maxage = _max_ages(response)
            assert 0 < max_age <= 60 and s_maxage == max_age and "stale" not in response.headers["cache-control"]
    assert "s-maxage" not in client.get(f"/v1/articles/{lasting['id']}").headers["cache-control"]

    clock.advance(timedelta(seconds=100))  # 20 seconds left
    assert _max_ages(client.get(f"/v1/articles/{article['id']}"))[0] <= 20
    assert _max_ages(client.get("/v1/articles"))[0] <= 20
    assert _max_ages(client.get("/feeds/rss.xml"))[0] <= 20 and _max_ages(client.get("/feeds/feed.json"))[0] <= 20
    clock.advance(timedelta(seconds=30))
    assert [a["id"] for a in client.get("/v1/articles").json()["data"]] == [lasting["id"]]


def test_the_expiry_is_a_delete_in_the_change_feed_and_an_article_expired_webhook(client, session):
    headers = desk(session)
    admin = bearer(make_key(session, "admin"))
    hook = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=admin).json()
    article = create(
        client,
        headers,
        status="published",
        expires_at=_in(5),
        quotes=[{"text": "Une citation", "speaker": {"name": "Jean Dupont"}}],
    )
    quote_id = article["quotes"][0]["id"]

    clock.advance(timedelta(minutes=6))
    jobs.run_once()

    changes = [(c["type"], c["id"], c["op"], c["reason"]) for c in client.get("/v1/changes").json()["data"]]
    assert ("article", article["id"], "delete", "expired") in changes
    assert ("quote", quote_id, "delete", "expired") in changes
    deliveries = client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 100}, headers=admin).json()
    expired = [d["payload"] for d in deliveries["data"] if d["event_type"] == "article.expired"]
    assert len(expired) == 1
    assert expired[0]["reason"] == "expired" and expired[0]["data"]["id"] == article["id"]
    assert expired[0]["due_at"] == article["expires_at"]


def test_keyed_readers_see_it_expired_and_it_can_be_republished_with_a_new_expiry(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", expires_at=_in(5))
    clock.advance(timedelta(minutes=6))

    assert client.get(f"/v1/articles/{article['id']}", headers=headers).json()["status"] == "expired"
    jobs.run_once()
    keyed = client.get(f"/v1/articles/{article['id']}", headers=headers).json()
    assert keyed["status"] == "expired" and keyed["expires_at"] == article["expires_at"]
    listed = client.get("/v1/articles", params={"status": "expired"}, headers=headers).json()["data"]
    assert [a["id"] for a in listed] == [article["id"]]

    stale = publish(client, headers, article["id"])
    assert stale.status_code == 409 and stale.json()["errors"][0]["field"] == "expires_at"
    past = publish(client, headers, article["id"], expires_at=_in(-1))
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "expires_at"
    later = _in(30)
    again = publish(client, headers, article["id"], expires_at=later)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "published" and again.json()["expires_at"] == later
    assert client.get(f"/v1/articles/{article['id']}").status_code == 200
    ops = [(c["op"], c["reason"]) for c in client.get("/v1/changes").json()["data"] if c["id"] == article["id"]]
    assert ops == [("upsert", None), ("delete", "expired"), ("upsert", None)]


def test_an_expiry_set_in_the_past_expires_a_published_article_at_once(client, session):
    headers = desk(session)
    article = create(client, headers, status="published")

    answer = patch(client, headers, article, {"expires_at": _in(-1)})

    assert answer.status_code == 200 and answer.json()["status"] == "expired"
    assert client.get(f"/v1/articles/{article['id']}").status_code == 410
    last = client.get("/v1/changes").json()["data"][-1]
    assert (last["id"], last["op"], last["reason"]) == (article["id"], "delete", "expired")


def test_an_expiry_is_cleared_with_null_and_kept_by_a_patch_that_leaves_it(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", expires_at=_in(10))
    article = patch(client, headers, article, {"title": "Nouveau titre"}).json()
    assert article["expires_at"] is not None

    article = patch(client, headers, article, {"expires_at": None}).json()
    clock.advance(timedelta(minutes=11))

    assert article["expires_at"] is None and client.get(f"/v1/articles/{article['id']}").status_code == 200
