"""A live blog and its updates through export and import: kept exactly, each update matched
by its external_id (its id when it has none), its attributions with it."""

import orjson

from tests.conftest import reset_database
from tests.support.editorial import create, desk
from tests.support.factories import bearer, make_author, make_key, make_source

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
    make_source(session, "afp", name="AFP", kind="news_agency")
    blog = create(
        client,
        headers,
        title="En direct : la crue de la Seine",
        status="published",
        live={"coverage_started_at": "2026-01-20T06:00:00Z", "coverage_ended_at": "2026-01-21T22:30:00.250000Z"},
        quotes=[{"text": "L'eau monte encore.", "speaker": {"name": "Paul Renard"}, "speaker_role": "hydrologue"}],
    )
    bodies = [
        {
            "headline": "Alerte",
            "body": [{"type": "paragraph", "text": "Vigilance rouge."}],
            "key_event": True,
            "external_id": "afp-crue-1",
            "attributions": [
                {"source": "afp", "role": "wire"},
                {
                    "source": {"name": "Le Figaro"},
                    "role": "read_on",
                    "label": "Lu sur Le Figaro",
                    "url": "https://www.lefigaro.fr/crue",
                },
            ],
        },
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


def _key(update: dict) -> str:
    return update["external_id"] or update["id"]


def test_export_import_export_keeps_a_live_blog_and_its_updates_exactly(client, session):
    blog, updates = _blog_with_updates(client, session)
    first = _export(client)
    lines = [orjson.loads(line) for line in first.splitlines()]
    exported = [line["data"] for line in lines if line["type"] == "update"]
    assert [line["type"] for line in lines][-3:] == ["update"] * 3
    assert {u["external_id"] for u in exported} == {_key(u) for u in updates} and "afp-crue-1" in {
        u["external_id"] for u in exported
    }
    assert all("id" not in u for u in exported)
    assert all(u["article"] == blog["id"] for u in exported)
    assert {"type": "quote", "quote": 0} in next(u for u in exported if u["pinned"])["body"]
    assert next(u for u in exported if u["key_event"])["attributions"] == [
        {"source": "afp", "role": "wire", "label": None, "url": None},
        {"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro", "url": "https://www.lefigaro.fr/crue"},
    ]
    before = client.get(f"/v1/articles/{blog['id']}/updates").json()["data"]

    reset_database()
    report = _import(client, session, first).json()
    second = _export(client)

    assert report["errors"] == [] and report["created"] == len(first.splitlines())
    assert second == first
    blog_id = next(a["id"] for a in client.get("/v1/articles").json()["data"] if a["title"] == blog["title"])
    after = client.get(f"/v1/articles/{blog_id}/updates").json()["data"]
    # New ids (as an imported article's), each update named by its old key from now on.
    assert [u["external_id"] for u in after] == [_key(u) for u in before]
    shown = ("article", "body", "id", "external_id")
    assert [{k: v for k, v in u.items() if k not in shown} for u in after] == [
        {k: v for k, v in u.items() if k not in shown} for u in before
    ]
    assert client.get(f"/v1/articles/{blog_id}").json()["live"]["state"] == "ended"


def _find(client, article: str, external_id: str) -> dict:
    listed = client.get(f"/v1/articles/{article}/updates").json()["data"]
    return next(u for u in listed if _key(u) == external_id)


def test_reimporting_changes_no_update_and_a_changed_line_updates_it_in_place(client, session):
    _blog_with_updates(client, session)
    body = _export(client)
    changes = client.get("/v1/changes").json()["data"]

    report = _import(client, session, body).json()
    assert report["unchanged"] == len(body.splitlines()) and report["errors"] == []
    assert client.get("/v1/changes").json()["data"] == changes

    lines = [orjson.loads(line) for line in body.splitlines()]
    for external_id in ("afp-crue-1", next(u["data"]["external_id"] for u in lines if u["data"].get("pinned"))):
        target = next(line for line in lines if line["type"] == "update" and line["data"]["external_id"] == external_id)
        article = target["data"]["article"]
        was = _find(client, article, external_id)
        target["data"]["headline"] = "Alerte maximale"
        target["data"]["attributions"] = [{"source": "afp", "role": "original_reporting"}]
        report = _import(client, session, orjson.dumps(target) + b"\n").json()
        assert report["updated"] == 1, report
        read = client.get(f"/v1/articles/{article}/updates/{was['id']}").json()
        assert read["headline"] == "Alerte maximale" and read["version"] == was["version"] + 1
        assert [(a["source"]["slug"], a["role"]) for a in read["attributions"]] == [("afp", "original_reporting")]
        assert read["external_id"] == was["external_id"]  # one named by its id keeps none


def test_an_update_is_matched_by_its_external_id_not_by_an_id(client, session):
    blog, updates = _blog_with_updates(client, session)
    body = _export(client)
    line = next(orjson.loads(raw) for raw in body.splitlines() if b'"afp-crue-1"' in raw)
    # Another blog's update takes the external_id: the line names that one, which is another article's.
    other = create(client, desk(session, name="other"), title="Autre direct", status="published", live={})
    moved = client.patch(
        f"/v1/articles/{blog['id']}/updates/{updates[0]['id']}",
        json={"external_id": "afp-crue-1-old"},
        headers={**desk(session, name="desk2"), "Content-Type": "application/merge-patch+json", "If-Match": "*"},
    )
    assert moved.status_code == 200, moved.text
    taken = client.post(
        f"/v1/articles/{other['id']}/updates",
        json={"external_id": "afp-crue-1", "body": [{"type": "paragraph", "text": "Ailleurs."}]},
        headers=desk(session, name="desk3"),
    )
    assert taken.status_code == 201, taken.text

    report = _import(client, session, orjson.dumps(line) + b"\n").json()

    assert [(e["line"], e["field"]) for e in report["errors"]] == [(1, "data.external_id")]
    assert "another article" in report["errors"][0]["message"]
    assert client.get(f"/v1/articles/{other['id']}/updates/{taken.json()['id']}").json()["version"] == 1


def test_an_update_line_for_an_unknown_article_or_without_a_key_is_reported(client, session):
    line = {"type": "update", "data": {"article": "nope", "id": "0" * 26, "body": [{"type": "paragraph", "text": "x"}]}}
    no_id = {"type": "update", "data": {"article": "nope", "body": [{"type": "paragraph", "text": "x"}]}}

    report = _import(client, session, orjson.dumps(line) + b"\n" + orjson.dumps(no_id) + b"\n").json()

    assert [(e["line"], e["field"]) for e in report["errors"]] == [(1, "data.article"), (2, "data.external_id")]
