"""Embargo: a published article withheld from the public until `embargoed_until`, read before
then by keys with content:embargoed, public by itself at that time."""

from datetime import timedelta

import pytest

from app.kit import jobs
from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, patch, publish
from tests.support.factories import bearer, make_key


def _in(minutes: float) -> str:
    return iso(utcnow() + timedelta(minutes=minutes))


@pytest.fixture
def admin(session) -> dict[str, str]:
    return bearer(make_key(session, "admin"))


@pytest.fixture
def hook(client, admin) -> dict:
    return client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=admin).json()


def _events(client, admin, hook) -> list[str]:
    found = client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 100}, headers=admin).json()
    return [d["event_type"] for d in reversed(found["data"])]


def _partner(client, admin) -> dict[str, str]:
    """A key made as an integrator makes it, with the embargo scope alone."""
    made = client.post("/v1/keys", json={"name": "partner", "scopes": ["content:embargoed"]}, headers=admin)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


def _public_paths(article: dict) -> list[str]:
    return [
        f"/v1/articles/{article['id']}",
        f"/v1/articles/slug/{article['slug']}",
        f"/v1/articles/{article['id']}?format=ninjs",
        "/v1/articles",
        "/feeds/rss.xml",
        "/v1/export",
        "/v1/changes",
    ]


def test_an_embargoed_article_is_withheld_from_the_public_and_read_by_embargo_keys(client, session, admin, hook):
    headers = desk(session)
    partner = _partner(client, admin)
    draft = create(client, headers, title="Brouillon")
    article = create(client, headers, title="Sous embargo")
    until = _in(60)
    answer = publish(client, headers, article["id"], embargoed_until=until)
    assert answer.status_code == 200 and answer.json()["embargoed_until"] == until

    for path in _public_paths(article):
        response = client.get(path)
        if article["id"] in path or article["slug"] in path:  # the article itself: a 404 may echo its path
            assert response.status_code == 404, path
        else:
            assert article["id"] not in response.text and "Sous embargo" not in response.text, path

    assert client.get(f"/v1/articles/{article['id']}", headers=partner).status_code == 200
    assert client.get(f"/v1/articles/slug/{article['slug']}", headers=partner).status_code == 200
    listed = client.get("/v1/articles", headers=partner)
    assert [a["id"] for a in listed.json()["data"]] == [article["id"]]
    assert listed.headers["cache-control"] == "private, no-store"
    ninjs = client.get(f"/v1/articles/{article['id']}", params={"format": "ninjs"}, headers=partner).json()
    assert ninjs["pubStatus"] == "withheld" and ninjs["embargoedUntil"] == until
    # The embargo scope opens nothing else.
    assert client.get(f"/v1/articles/{draft['id']}", headers=partner).status_code == 404
    assert client.get("/v1/articles", params={"status": "draft"}, headers=partner).status_code == 400
    assert client.post("/v1/articles", json={"title": "x"}, headers=partner).status_code == 403

    assert _events(client, admin, hook) == ["article.embargoed"]
    assert client.get("/v1/changes").json()["data"] == []


def test_the_embargo_lifts_by_itself_at_its_time(client, session, admin, hook):
    headers = desk(session)
    article = create(client, headers, title="Sous embargo")
    until = _in(30)
    publish(client, headers, article["id"], embargoed_until=until)
    assert client.get(f"/v1/articles/{article['id']}").status_code == 404  # a 404 the cache may keep

    clock.advance(timedelta(minutes=31))  # the clock alone: public from this second
    assert client.get(f"/v1/articles/slug/{article['slug']}").status_code == 200
    jobs.run_once()  # the round records it

    public = client.get(f"/v1/articles/{article['id']}")
    assert public.status_code == 200 and public.json()["embargoed_until"] is None
    assert client.get(f"/v1/articles/{article['id']}", params={"format": "ninjs"}).json()["pubStatus"] == "usable"
    assert [a["id"] for a in client.get("/v1/articles").json()["data"]] == [article["id"]]
    assert article["id"] in client.get("/feeds/atom.xml").text
    changes = [c for c in client.get("/v1/changes").json()["data"] if c["type"] == "article"]
    assert [(c["id"], c["op"], c["due_at"]) for c in changes] == [(article["id"], "upsert", until)]
    assert _events(client, admin, hook) == ["article.embargoed", "article.published"]
    revisions = client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"]
    assert revisions[0]["key_name"] == "scheduler"


def test_an_embargo_put_on_a_public_article_takes_it_down_with_its_reason(client, session, admin, hook):
    headers = desk(session)
    article = create(client, headers, status="published")

    answer = patch(client, headers, article, {"embargoed_until": _in(60)})

    assert answer.status_code == 200, answer.text
    assert client.get(f"/v1/articles/{article['id']}").status_code == 404
    last = client.get("/v1/changes").json()["data"][-1]
    assert (last["id"], last["op"], last["reason"]) == (article["id"], "delete", "embargoed")
    assert _events(client, admin, hook) == ["article.published", "article.embargoed"]


def test_an_embargo_already_past_is_none(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", embargoed_until=_in(-5))

    assert article["embargoed_until"] is None and client.get(f"/v1/articles/{article['id']}").status_code == 200


def test_the_embargo_scope_is_granted_by_the_command_line(client, session, admin):
    from typer.testing import CliRunner

    from app.cli import app as cli

    result = CliRunner().invoke(cli, ["keys", "create", "--name", "agence", "--scopes", "content:embargoed"])

    assert result.exit_code == 0, result.output
    listed = client.get("/v1/keys", headers=admin).json()["data"]
    assert [k["scopes"] for k in listed if k["name"] == "agence"] == [["content:embargoed"]]
