"""Pending versions go out with their articles in an export for a key with content:read, and
come back exactly; the public export never shows them."""

from datetime import timedelta

import orjson
from typer.testing import CliRunner

from app.store.models.common import iso, utcnow
from tests.api.transfer.test_export_import import NDJSON, _content, _lines
from tests.conftest import reset_database
from tests.support.editorial import desk
from tests.support.factories import bearer, make_key

MERGE = "application/merge-patch+json"


def _stage(client, headers, article_id: str, changes: dict) -> dict:
    started = client.post(f"/v1/articles/{article_id}/pending", headers=headers)
    assert started.status_code == 201, started.text
    changed = client.patch(
        f"/v1/articles/{article_id}/pending",
        json=changes,
        headers={**headers, "Content-Type": MERGE, "If-Match": started.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    return changed.json()


def _keyed_export(client, headers) -> bytes:
    response = client.get("/v1/export", headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def test_pending_versions_go_out_with_their_articles_and_come_back_exactly(client, session):
    rich, plain, _ = _content(session)
    headers = desk(session)
    live = client.get(f"/v1/articles/{rich.id}").json()
    body = [*live["body"][:1], {"type": "paragraph", "text": "Un paragraphe quokkastaged."}, *live["body"][1:]]
    staged = _stage(client, headers, rich.id, {"title": "Titre quokkastaged", "body": body})
    quotes = [*staged["article"]["quotes"], {"text": "Une citation nouvelle.", "speaker": "john-kerry"}]
    at = iso(utcnow() + timedelta(days=1))
    etag = f'"{staged["version"]}"'
    added = client.patch(
        f"/v1/articles/{rich.id}/pending",
        json={"quotes": quotes},
        headers={**headers, "Content-Type": MERGE, "If-Match": etag},
    )
    assert added.status_code == 200, added.text
    scheduled = client.post(f"/v1/articles/{rich.id}/pending/publish", json={"at": at}, headers=headers)
    assert scheduled.status_code == 202, scheduled.text
    _stage(client, headers, plain.id, {"kicker": "Périmé"})
    client.patch(  # the live article moves on: that pending version is stale
        f"/v1/articles/{plain.id}",
        json={"standfirst": "Changé en direct"},
        headers={**headers, "Content-Type": MERGE, "If-Match": '"1"'},
    )

    first = _keyed_export(client, headers)
    public = client.get("/v1/export").content
    reset_database()
    importer = bearer(make_key(session, "content:write", "content:publish", "content:read", name="importer"))
    report = client.post("/v1/import", content=first, headers={**NDJSON, **importer}).json()
    second = _keyed_export(client, importer)

    assert b"quokkastaged" in first and b'"pending"' in first
    assert b"quokkastaged" not in public and b'"pending"' not in public
    assert report["errors"] == [] and report["created"] == len(first.splitlines())
    assert second == first
    by_title = {a["title"]: a for a in client.get("/v1/articles", params={"limit": 100}).json()["data"]}
    came_back = client.get(f"/v1/articles/{by_title['Moscou et Washington']['id']}/pending", headers=importer).json()
    assert came_back["article"]["title"] == "Titre quokkastaged" and came_back["publish_at"] == at
    assert came_back["stale"] is False and len(came_back["article"]["quotes"]) == 3
    stale = client.get(f"/v1/articles/{by_title['Sans external_id']['id']}/pending", headers=importer).json()
    assert stale["stale"] is True and stale["article"]["kicker"] == "Périmé"


def test_a_pending_version_published_after_an_import_keeps_the_quotes_it_shares(client, session):
    rich, _, _ = _content(session)
    headers = desk(session)
    _stage(client, headers, rich.id, {"title": "Titre quokkastaged"})
    exported = _keyed_export(client, headers)

    reset_database()
    importer = bearer(make_key(session, "content:write", "content:publish", "content:read", name="importer"))
    client.post("/v1/import", content=exported, headers={**NDJSON, **importer})
    article = next(
        a for a in client.get("/v1/articles", params={"limit": 100}).json()["data"] if a["slug"] == rich.slug
    )
    quote_ids = [q["id"] for q in client.get(f"/v1/articles/{article['id']}").json()["quotes"]]
    diff = client.get(f"/v1/articles/{article['id']}/pending/diff", headers=importer).json()
    published = client.post(f"/v1/articles/{article['id']}/pending/publish", headers=importer)

    assert [f["field"] for f in diff["fields"]] == ["title"] and diff["body"] == []
    assert published.status_code == 200, published.text
    assert published.json()["title"] == "Titre quokkastaged"
    assert [q["id"] for q in published.json()["quotes"]] == quote_ids


def test_a_bad_pending_member_is_reported_naming_its_field(client, session):
    _content(session)
    lines = _lines(client.get("/v1/export").content)
    article = next(line for line in lines if line["type"] == "article")
    article["data"]["pending"] = {"article": {**article["data"], "title": ""}, "stale": False}
    for written_elsewhere in ("created_at", "updated_at", "corrections"):  # not in a pending version's shape
        article["data"]["pending"]["article"].pop(written_elsewhere, None)
    body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    importer = bearer(make_key(session, "content:write", "content:publish", name="importer"))
    report = client.post("/v1/import", content=body, headers={**NDJSON, **importer}).json()

    assert [e["field"] for e in report["errors"]] == ["data.pending.title"]


def test_the_command_exports_pending_versions_when_asked(client, session, tmp_path):
    from app.cli import app

    rich, _, _ = _content(session)
    headers = desk(session)
    _stage(client, headers, rich.id, {"title": "Titre quokkastaged"})
    plain, staged = tmp_path / "plain.ndjson", tmp_path / "staged.ndjson"
    runner = CliRunner()

    runner.invoke(app, ["export", str(plain)])
    runner.invoke(app, ["export", "--pending", str(staged)])

    assert b"quokkastaged" not in plain.read_bytes()
    assert staged.read_bytes() == _keyed_export(client, headers)
