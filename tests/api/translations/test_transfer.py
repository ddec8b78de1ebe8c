"""Export and import keep translation groups: a line per group after the articles, naming its
public members by external_id, the original first; export → import → export gives the same bytes."""

import orjson

from tests.conftest import reset_database
from tests.support.editorial import create, desk
from tests.support.factories import bearer, make_key

WHEN = "2026-01-01T00:00:00Z"  # before the articles were written: an import checks the order


def _export(client) -> bytes:
    response = client.get("/v1/export")
    assert response.status_code == 200, response.text
    return response.content


def _import(client, session, body: bytes) -> dict:
    key = make_key(session, "content:write", "content:publish", name="importer")
    answer = client.post("/v1/import", content=body, headers={"Content-Type": "application/x-ndjson", **bearer(key)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_translation_groups_go_out_and_come_back(client, session):
    headers = desk(session)
    fr = create(
        client, headers, title="Le sommet", language="fr", status="published", external_id="cms-fr", published_at=WHEN
    )
    en = create(
        client,
        headers,
        title="The summit",
        language="en",
        status="published",
        translation_of=fr["id"],
        published_at=WHEN,
    )
    create(client, headers, title="Der Gipfel", language="de", translation_of=fr["id"])  # a draft: not exported
    create(client, headers, title="Seul", language="fr", status="published", published_at=WHEN)
    exported = _export(client)
    lines = [orjson.loads(line) for line in exported.splitlines()]
    assert lines[-1] == {"type": "translation_group", "data": {"articles": ["cms-fr", en["id"]]}}
    assert [line["type"] for line in lines].count("translation_group") == 1

    reset_database()
    report = _import(client, session, exported)
    assert report["errors"] == [] and report["created"] == len(lines)
    found = {a["title"]: a for a in client.get("/v1/articles").json()["data"]}
    assert found["The summit"]["translation_of"] == found["Le sommet"]["id"]
    assert [t["language"] for t in found["Le sommet"]["translations"]] == ["en"]
    assert found["Seul"]["translations"] == []
    assert _export(client) == exported
    again = _import(client, session, exported)
    assert again["unchanged"] == len(lines) and again["errors"] == []


def test_a_group_naming_an_unknown_article_is_an_error_naming_it(client, session):
    headers = desk(session)
    create(
        client, headers, title="Le sommet", language="fr", status="published", external_id="cms-fr", published_at=WHEN
    )
    line = orjson.dumps({"type": "translation_group", "data": {"articles": ["cms-fr", "cms-nowhere"]}})
    report = _import(client, session, line + b"\n")
    assert report["errors"] == [{"line": 1, "field": "data.articles[1]", "message": "no article 'cms-nowhere'"}]
