"""Correction notices: appended to a published article with If-Match, shown by every read of it
(its JSON, JSON-LD, ninjs, the feeds), each a new version with its revision, change, webhook
and purge; append-only; as hidden as the article they belong to."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import app.articles
from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, patch, publish
from tests.support.factories import bearer, make_key

NINJS = Draft202012Validator(
    json.loads(Path(app.articles.__file__).with_name("ninjs-schema_3.1.json").read_text()),
    format_checker=Draft202012Validator.FORMAT_CHECKER,
)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def admin(session) -> dict[str, str]:
    return bearer(make_key(session, "admin"))


@pytest.fixture
def hook(client, admin) -> dict:
    return client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=admin).json()


def _events(client, admin, hook) -> list[str]:
    found = client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 100}, headers=admin).json()
    return [d["event_type"] for d in reversed(found["data"])]


def _correct(client, headers, article: dict, *, if_match: str | None = None, **body):
    body = {"kind": "correction", "text": "Une version précédente se trompait de date.", **body}
    etag = if_match if if_match is not None else f'"{article["version"]}"'
    return client.post(f"/v1/articles/{article['id']}/corrections", json=body, headers={**headers, "If-Match": etag})


def _atom_updated(client, article_id: str) -> str:
    feed = ET.fromstring(client.get("/feeds/atom.xml").content)
    for entry in feed.iter(f"{ATOM}entry"):
        if article_id in "".join(entry.itertext()) + "".join(link.get("href", "") for link in entry.iter()):
            return entry.find(f"{ATOM}updated").text
    raise AssertionError("the article is not in the feed")


def _same_instant(a: str, b: str) -> bool:
    from datetime import datetime

    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def test_a_notice_is_a_new_version_shown_by_every_read_of_the_article(client, session, admin, hook):
    headers = desk(session)
    article = create(client, headers, status="published", title="Le conseil municipal vote le budget")
    paths = {
        "json": f"/v1/articles/{article['id']}",
        "slug": f"/v1/articles/slug/{article['slug']}",
        "ninjs": f"/v1/articles/{article['id']}?format=ninjs",
        "jsonld": f"/v1/articles/{article['id']}?format=jsonld",
        "list": f"/v1/articles/{article['id']}/corrections",
    }
    for path in [*paths.values(), *paths.values()]:  # read twice: the response cache holds them
        assert client.get(path).status_code == 200
    assert client.get(paths["json"]).json()["corrections"] == []
    before = _atom_updated(client, article["id"])
    clock.advance(timedelta(hours=3))

    answer = _correct(client, headers, article, text="Le budget a été voté mardi, et non lundi.")

    assert answer.status_code == 201, answer.text
    notice = answer.json()
    assert set(notice) == {"id", "kind", "text", "created_at"}
    assert (notice["kind"], notice["text"]) == ("correction", "Le budget a été voté mardi, et non lundi.")
    assert answer.headers["etag"] == f'"{article["version"] + 1}"'
    assert answer.headers["location"] == f"/v1/articles/{article['id']}/corrections/{notice['id']}"
    assert client.get(answer.headers["location"]).json() == notice
    assert client.get(paths["list"]).json()["data"] == [notice]  # purged from the cache that held []

    read = client.get(paths["json"]).json()
    assert read["corrections"] == [notice] and client.get(paths["slug"]).json()["corrections"] == [notice]
    assert read["version"] == article["version"] + 1
    assert read["updated_at"] == notice["created_at"] > article["updated_at"]
    assert read["published_at"] == article["published_at"]

    ld = client.get(paths["jsonld"]).json()
    assert ld["correction"] == [
        {
            "@type": "CorrectionComment",
            "identifier": notice["id"],
            "name": "correction",
            "text": notice["text"],
            "datePublished": notice["created_at"],
        }
    ]
    assert ld["dateModified"] == notice["created_at"]
    ninjs = client.get(paths["ninjs"]).json()
    assert [e.message for e in NINJS.iter_errors(ninjs)] == []
    [association] = [a for a in ninjs["associations"] if a["rel"] == "correction"]
    assert association["uri"].endswith(answer.headers["location"])
    assert association["versionCreated"] == notice["created_at"] == ninjs["versionCreated"]
    assert association["bodies"][0]["value"] == notice["text"]
    updated = _atom_updated(client, article["id"])
    assert updated != before and _same_instant(updated, notice["created_at"].replace("Z", "+00:00"))

    # The write's traces: a revision, an upsert in the change feed, the webhook.
    revisions = client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"]
    assert [r["number"] for r in revisions][:2] == [read["version"], article["version"]]
    last = client.get("/v1/changes").json()["data"][-1]
    assert (last["id"], last["op"], last["version"]) == (article["id"], "upsert", read["version"])
    assert _events(client, admin, hook) == ["article.published", "article.corrected"]
    deliveries = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()["data"]
    payload = next(d["payload"] for d in deliveries if d["event_type"] == "article.corrected")
    assert payload["data"]["corrections"] == [notice] and payload["data"]["updated_at"] == notice["created_at"]


def test_notices_are_listed_oldest_first_and_each_needs_the_current_etag(client, session):
    headers = desk(session)
    article = create(client, headers, status="published")

    missing = client.post(
        f"/v1/articles/{article['id']}/corrections", json={"kind": "update", "text": "Suite."}, headers=headers
    )
    assert missing.status_code == 428 and missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["errors"] == [{"field": "If-Match", "message": "required"}]
    first = _correct(client, headers, article, kind="clarification", text="Précision : il s'agit du budget 2016.")
    assert first.status_code == 201
    stale = _correct(client, headers, article, kind="update", text="Le préfet a validé le budget.")
    assert stale.status_code == 412 and stale.headers["content-type"].startswith("application/problem+json")
    clock.advance(timedelta(minutes=5))
    second = _correct(
        client, headers, article, if_match=first.headers["etag"], kind="update", text="Le préfet a validé."
    )
    assert second.status_code == 201

    listed = client.get(f"/v1/articles/{article['id']}/corrections").json()
    assert [n["kind"] for n in listed["data"]] == ["clarification", "update"]
    assert listed["data"] == client.get(f"/v1/articles/{article['id']}").json()["corrections"]
    assert listed["meta"]["has_more"] is False
    # A PATCH with the ETag the notice answered goes through: it is the article's.
    latest = client.get(f"/v1/articles/{article['id']}", headers=headers).json()
    assert latest["version"] == int(second.headers["etag"].strip('"'))
    assert patch(client, headers, latest, {"kicker": "Budget"}, if_match=second.headers["etag"]).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "erratum", "text": "x"}, "kind"),
        ({"text": "x"}, "kind"),
        ({"kind": "correction"}, "text"),
        ({"kind": "correction", "text": "   "}, "text"),
        ({"kind": "correction", "text": "x" * 5001}, "text"),
        ({"kind": "correction", "text": "x", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(client, session, body, field):
    headers = desk(session)
    article = create(client, headers, status="published")

    answer = client.post(f"/v1/articles/{article['id']}/corrections", json=body, headers={**headers, "If-Match": '"1"'})

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert client.get(f"/v1/articles/{article['id']}").json()["version"] == article["version"]


def test_only_a_published_article_takes_a_notice(client, session):
    headers = desk(session)
    draft = create(client, headers)
    assert _correct(client, headers, draft).status_code == 409
    assert (
        client.post(
            "/v1/articles/nope/corrections",
            json={"kind": "update", "text": "x"},
            headers={**headers, "If-Match": '"1"'},
        ).status_code
        == 404
    )
    reader = bearer(make_key(session, "content:read"))
    published = create(client, headers, status="published")
    assert _correct(client, reader, published).status_code == 403
    deleted = client.delete(
        f"/v1/articles/{published['id']}", headers={**headers, "If-Match": f'"{published["version"]}"'}
    )
    assert deleted.status_code == 204
    gone = _correct(client, headers, published, if_match=deleted.headers["etag"])
    assert gone.status_code == 409


def test_notices_are_append_only(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", title="Avant")
    notice = _correct(client, headers, article).json()
    path = f"/v1/articles/{article['id']}/corrections/{notice['id']}"
    current = client.get(f"/v1/articles/{article['id']}", headers=headers).json()

    for method in ("PUT", "PATCH", "DELETE"):
        answer = client.request(method, path, json={"text": "autre"}, headers={**headers, "If-Match": "*"})
        assert answer.status_code == 405, method
    merged = patch(client, headers, current, {"corrections": []})
    assert merged.status_code == 422 and merged.json()["errors"][0]["field"] == "corrections"
    # Restoring a revision from before the notice brings back its text, not a world without it.
    patched = patch(client, headers, current, {"title": "Après"}).json()
    restored = client.post(
        f"/v1/articles/{article['id']}/revisions/{article['version']}/restore",
        headers={**headers, "If-Match": f'"{patched["version"]}"'},
    )
    assert restored.status_code == 200 and restored.json()["title"] == "Avant"
    assert restored.json()["corrections"] == [notice]


def test_notices_are_as_hidden_as_their_article(client, session, admin, hook):
    headers = desk(session)
    partner = bearer(make_key(session, "content:embargoed", name="partner"))
    taken_down = create(client, headers, status="published")
    _correct(client, headers, taken_down, text="Texte retiré.")
    client.post(f"/v1/articles/{taken_down['id']}/unpublish", headers=headers)
    embargoed = create(client, headers, title="Sous embargo")
    embargoed = publish(client, headers, embargoed["id"], embargoed_until=iso(utcnow() + timedelta(hours=2))).json()
    expiring = create(client, headers, status="published", expires_at=iso(utcnow() + timedelta(minutes=30)))
    expiring_notice = _correct(client, headers, expiring, kind="update", text="Mise à jour.").json()
    events_before = _events(client, admin, hook)

    under_embargo = _correct(client, headers, embargoed, kind="update", text="Sous embargo aussi.")
    assert under_embargo.status_code == 201, under_embargo.text
    notice = under_embargo.json()
    clock.advance(timedelta(minutes=31))

    for article, status in ((taken_down, 404), (embargoed, 404), (expiring, 410)):
        listed = client.get(f"/v1/articles/{article['id']}/corrections")
        assert listed.status_code == status, listed.text
        assert client.get(f"/v1/articles/{article['id']}/corrections/whatever").status_code == status
    assert "Texte retiré" not in client.get("/v1/articles", params={"include": "corrections"}).text
    keyed = client.get(f"/v1/articles/{taken_down['id']}/corrections", headers=headers)
    assert keyed.status_code == 200 and [n["text"] for n in keyed.json()["data"]] == ["Texte retiré."]
    assert keyed.headers["cache-control"] == "private, no-store"
    seen = client.get(f"/v1/articles/{embargoed['id']}/corrections/{notice['id']}", headers=partner)
    assert seen.status_code == 200 and seen.json() == notice
    expired = client.get(f"/v1/articles/{expiring['id']}", headers=headers).json()
    assert expired["status"] == "expired" and expired["corrections"] == [expiring_notice]
    # Embargo partners hear of it; the public change feed does not.
    assert _events(client, admin, hook)[len(events_before) :] == ["article.corrected"]
    assert embargoed["id"] not in client.get("/v1/changes").text


def test_a_list_carries_notices_when_asked(client, session):
    headers = desk(session)
    article = create(client, headers, status="published")
    notice = _correct(client, headers, article).json()

    plain = client.get("/v1/articles").json()["data"][0]
    asked = client.get("/v1/articles", params={"include": "corrections"}).json()["data"][0]
    trimmed = client.get("/v1/articles", params={"fields": "id,corrections"}).json()["data"][0]

    assert "corrections" not in plain
    assert asked["corrections"] == [notice] and trimmed == {"id": article["id"], "corrections": [notice]}
