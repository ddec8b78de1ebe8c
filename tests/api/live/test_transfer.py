"""A live blog and its updates through export and import: kept exactly."""

import orjson

from tests.conftest import reset_database
from tests.support.editorial import create, desk
from tests.support.factories import bearer, make_author, make_key

NDJSON = {"Content-Type": "application/x-ndjson"}


def _export(client) -> bytes:
    response = client.get("/v1/export")
    assert response.status_code == 200, response.text
    return response.content


def _import(client, session, body: bytes):
    secret = make_key(session, "content:write", "content:publish", name="importer")
    return client.post("/v1/import", content=body, headers={**NDJSON, **bearer(secret)})


def _blog_with_updates(client, session) -> tuple[dict, list[dict]]:
    headers = desk(session)
    make_author(session, "claire-dupont", name="Claire Dupont")
    blog = create(
        client,
        headers,
        title="En direct : la crue de la Seine",
        status="published",
        live={"coverage_started_at": "2026-01-20T06:00:00Z", "coverage_ended_at": "2026-01-21T22:30:00.250000Z"},
        quotes=[{"text": "L'eau monte encore.", "speaker": {"name": "Paul Renard"}, "speaker_role": "hydrologue"}],
    )
    bodies = [
        {"headline": "Alerte", "body": [{"type": "paragraph", "text": "Vigilance rouge."}], "key_event": True},
        {
            "body": [{"type": "quote", "quote_id": blog["quotes"][0]["id"]}, {"type": "html", "html": "<b>Gras</b>"}],
            "author": "claire-dupont",
            "pinned": True,
            "published_at": "2026-01-20T08:00:00.123456Z",
        },
        {"body": [{"type": "paragraph", "text": "Même seconde."}], "published_at": "2026-01-20T08:00:00.123456Z"},
    ]
    updates = []
    for body in bodies:
        response = client.post(f"/v1/articles/{blog['id']}/updates", json=body, headers=headers)
        assert response.status_code == 201, response.text
        updates.append(response.json())
    return blog, updates


def test_export_import_export_keeps_a_live_blog_and_its_updates_exactly(client, session):
    blog, updates = _blog_with_updates(client, session)
    first = _export(client)
    lines = [orjson.loads(line) for line in first.splitlines()]
    exported = [line["data"] for line in lines if line["type"] == "update"]
    assert [line["type"] for line in lines][-3:] == ["update"] * 3
    assert {u["id"] for u in exported} == {u["id"] for u in updates}
    assert all(u["article"] == blog["id"] for u in exported)
    assert {"type": "quote", "quote": 0} in next(u for u in exported if u["pinned"])["body"]
    before = client.get(f"/v1/articles/{blog['id']}/updates").json()["data"]

    reset_database()
    report = _import(client, session, first).json()
    second = _export(client)

    assert report["errors"] == [] and report["created"] == len(first.splitlines())
    assert second == first
    blog_id = next(a["id"] for a in client.get("/v1/articles").json()["data"] if a["title"] == blog["title"])
    after = client.get(f"/v1/articles/{blog_id}/updates").json()["data"]
    assert [u["id"] for u in after] == [u["id"] for u in before]
    assert [{k: v for k, v in u.items() if k not in ("article", "body")} for u in after] == [
        {k: v for k, v in u.items() if k not in ("article", "body")} for u in before
    ]
    assert client.get(f"/v1/articles/{blog_id}").json()["live"]["state"] == "ended"


def test_reimporting_changes_no_update_and_a_changed_line_updates_it_in_place(client, session):
    _blog_with_updates(client, session)
    body = _export(client)
    changes = client.get("/v1/changes").json()["data"]

    report = _import(client, session, body).json()
    assert report["unchanged"] == len(body.splitlines()) and report["errors"] == []
    assert client.get("/v1/changes").json()["data"] == changes

    lines = [orjson.loads(line) for line in body.splitlines()]
    target = next(line for line in lines if line["type"] == "update" and line["data"]["key_event"])
    target["data"]["headline"] = "Alerte maximale"
    report = _import(client, session, orjson.dumps(target) + b"\n").json()
    assert report["updated"] == 1, report
    article = target["data"]["article"]
    read = client.get(f"/v1/articles/{article}/updates/{target['data']['id']}").json()
    assert read["headline"] == "Alerte maximale" and read["version"] == 2


def test_an_update_line_for_an_unknown_article_or_without_id_is_reported(client, session):
    line = {"type": "update", "data": {"article": "nope", "id": "0" * 26, "body": [{"type": "paragraph", "text": "x"}]}}
    no_id = {"type": "update", "data": {"article": "nope", "body": [{"type": "paragraph", "text": "x"}]}}

    report = _import(client, session, orjson.dumps(line) + b"\n" + orjson.dumps(no_id) + b"\n").json()

    assert [(e["line"], e["field"]) for e in report["errors"]] == [(1, "data.article"), (2, "data.id")]
