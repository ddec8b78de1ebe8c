"""Export and import carry what the newsroom's clock and its notices add to an article: its
expiry, its embargo, its correction notices with their ids and times. The export is public:
what the public cannot see (an embargoed or expired article, its notices) is not in it."""

from datetime import UTC, datetime, timedelta

import orjson

from app.store import clock
from app.store.models.common import iso, utcnow
from tests.conftest import reset_database
from tests.support.editorial import create, desk, publish
from tests.support.factories import bearer, make_key

NDJSON = {"Content-Type": "application/x-ndjson"}
# What a database gives an article of its own, which an import into another cannot keep.
OWN = {"id", "external_id", "version"}


def _correct(client, headers, article_id: str, **body) -> dict:
    etag = client.get(f"/v1/articles/{article_id}", headers=headers).headers["etag"]
    answer = client.post(f"/v1/articles/{article_id}/corrections", json=body, headers={**headers, "If-Match": etag})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _export(client) -> bytes:
    response = client.get("/v1/export")
    assert response.status_code == 200, response.text
    return response.content


def _articles(body: bytes) -> dict[str, dict]:
    lines = [orjson.loads(line) for line in body.splitlines()]
    return {line["data"]["slug"]: line["data"] for line in lines if line["type"] == "article"}


def _reads(client, headers) -> dict[str, dict]:
    listed = client.get("/v1/articles", params={"status": "all", "limit": 100}, headers=headers).json()["data"]
    reads = {}
    for item in listed:
        whole = client.get(f"/v1/articles/{item['id']}", headers=headers).json()
        reads[item["slug"]] = {k: v for k, v in whole.items() if k not in OWN}
    return reads


def test_expiry_and_notices_go_out_and_come_back_exactly_and_hidden_articles_stay_home(client, session):
    headers = desk(session)
    create(client, headers, status="published", title="Sans histoire")
    create(client, headers, status="published", title="Expire bientot", expires_at=iso(utcnow() + timedelta(days=2)))
    corrected = create(client, headers, status="published", title="Corrige deux fois")
    expired = create(client, headers, status="published", title="Expire", expires_at=iso(utcnow() + timedelta(hours=1)))
    _correct(client, headers, expired["id"], kind="update", text="Note d'un article expiré.")
    clock.advance(timedelta(hours=2))
    first = _correct(client, headers, corrected["id"], kind="correction", text="Le maire s'appelle Durand.")
    clock.advance(timedelta(minutes=7))
    second = _correct(client, headers, corrected["id"], kind="clarification", text="Il s'agit du budget 2016.")
    embargoed = create(client, headers, title="Sous embargo")
    publish(client, headers, embargoed["id"], embargoed_until=iso(utcnow() + timedelta(hours=3)))
    _correct(client, headers, embargoed["id"], kind="update", text="Note sous embargo.")

    exported = _export(client)
    lines = _articles(exported)
    assert sorted(lines) == ["corrige-deux-fois", "expire-bientot", "sans-histoire"]
    assert b"Note d'un article" not in exported and b"Note sous embargo" not in exported
    assert [n["id"] for n in lines["corrige-deux-fois"]["corrections"]] == [first["id"], second["id"]]
    assert all(line["embargoed_until"] is None for line in lines.values())
    before = {slug: read for slug, read in _reads(client, headers).items() if slug in lines}

    ahead = clock.now() - datetime.now(UTC)
    reset_database()  # a fresh database, and the clock back at the system's time
    clock.advance(ahead)  # where it was: the export's times are not in the future
    report = client.post(
        "/v1/import",
        content=exported,
        headers={**NDJSON, **bearer(make_key(session, "content:write", "content:publish"))},
    ).json()
    reader = bearer(make_key(session, "content:read", name="reader"))
    after = _reads(client, reader)

    assert report["errors"] == [] and report["created"] == len(exported.splitlines())
    assert after == before
    assert after["corrige-deux-fois"]["corrections"] == [first, second]
    assert after["corrige-deux-fois"]["updated_at"] == second["created_at"]
    assert after["expire-bientot"]["expires_at"] is not None
    assert _export(client) == exported  # and out again, byte for byte


def test_an_import_brings_an_embargo_and_notices_to_an_article_it_creates(client, session):
    until = iso(utcnow() + timedelta(hours=6))
    published = iso(utcnow() - timedelta(hours=2))
    noted = iso(utcnow() - timedelta(hours=1))
    line = {
        "external_id": "agence-1",
        "title": "Dépêche sous embargo",
        "status": "published",
        "published_at": published,
        "embargoed_until": until,
        "updated_at": noted,
        "corrections": [
            {"id": "01hzzzzzzzzzzzzzzzzzzzzzzz", "kind": "update", "text": "Complété.", "created_at": noted}
        ],
    }
    writer = bearer(make_key(session, "content:write", "content:publish"))
    body = orjson.dumps({"type": "article", "data": line}) + b"\n"

    report = client.post("/v1/import", content=body, headers={**NDJSON, **writer}).json()
    again = client.post("/v1/import", content=body, headers={**NDJSON, **writer}).json()

    assert report["created"] == 1 and report["errors"] == [] and again["unchanged"] == 1
    partner = bearer(make_key(session, "content:embargoed", name="partner"))
    found = client.get("/v1/articles", headers=partner).json()["data"]
    assert [(a["embargoed_until"], a["title"]) for a in found] == [(until, "Dépêche sous embargo")]
    notices = client.get(f"/v1/articles/{found[0]['id']}/corrections", headers=partner).json()["data"]
    assert notices == [{"id": "01hzzzzzzzzzzzzzzzzzzzzzzz", "kind": "update", "text": "Complété.", "created_at": noted}]
    assert client.get("/v1/articles").json()["data"] == [] and b"agence-1" not in _export(client)


def test_imported_notices_out_of_order_are_refused_naming_the_field(client, session):
    writer = bearer(make_key(session, "content:write", "content:publish"))
    published = iso(utcnow() - timedelta(hours=2))

    def line(created_at: str, **extra) -> bytes:
        data = {
            "external_id": f"x-{created_at}",
            "title": "Un article",
            "status": "published",
            "published_at": published,
            "corrections": [
                {"id": "01hyyyyyyyyyyyyyyyyyyyyyyy", "kind": "correction", "text": "x", "created_at": created_at}
            ],
            **extra,
        }
        return orjson.dumps({"type": "article", "data": data}) + b"\n"

    body = (
        line(iso(utcnow() - timedelta(hours=3)))
        + line(iso(utcnow() + timedelta(hours=1)))
        + line(iso(utcnow() - timedelta(minutes=30)), updated_at=iso(utcnow() - timedelta(hours=1)))
        + orjson.dumps({"type": "article", "data": {"external_id": "y", "title": "t", "corrections": [{"kind": "x"}]}})
    )
    report = client.post("/v1/import", content=body, headers={**NDJSON, **writer}).json()

    assert [(e["line"], e["field"], e["message"]) for e in report["errors"][:3]] == [
        (1, "data.corrections[0].created_at", "before the article was published"),
        (2, "data.corrections[0].created_at", "in the future"),
        (3, "data.corrections[0].created_at", "after updated_at"),
    ]
    assert {e["field"] for e in report["errors"][3:]} >= {"data.corrections[0].kind", "data.corrections[0].id"}
    assert report["created"] == 0
