"""An export for a key with content:read holds every article that is not deleted (drafts,
scheduled, embargoed, expired, unpublished), each as it is, and an import into another Gazette
brings each back exactly; the public export never shows them."""

from datetime import UTC, datetime, timedelta

import orjson
from typer.testing import CliRunner

from app.store import clock
from app.store.models.common import iso, utcnow
from tests.api.transfer.test_clock_round_trip import NDJSON, _correct, _reads
from tests.api.transfer.test_pending_transfer import _keyed_export, _stage
from tests.conftest import reset_database
from tests.support.editorial import create, desk, publish
from tests.support.factories import bearer, make_key


def _slugs(body: bytes) -> list[str]:
    lines = [orjson.loads(line) for line in body.splitlines()]
    return sorted(line["data"]["slug"] for line in lines if line["type"] == "article")


def _everything(client, headers) -> dict[str, dict]:
    """Each article's keyed read, its correction notices and its pending version, by slug; of
    what names the database's own ids, only the slugs (its translations')."""
    out = {}
    for slug, read in _reads(client, headers).items():
        read["translations"] = [{k: v for k, v in t.items() if k != "id"} for t in read["translations"]]
        read["translation_of"] = read["translation_of"] is not None
        listed = client.get("/v1/articles", params={"status": "all", "limit": 100}, headers=headers).json()["data"]
        article_id = next(a["id"] for a in listed if a["slug"] == slug)
        notices = client.get(f"/v1/articles/{article_id}/corrections", headers=headers).json()["data"]
        staged = client.get(f"/v1/articles/{article_id}/pending", headers=headers)
        pending = staged.json()["article"] if staged.status_code == 200 else None
        if pending:  # an article with no external_id is exported (and imported) under its id
            pending.pop("external_id")
        out[slug] = {"read": read, "corrections": notices, "pending": pending}
    return out


def test_a_keyed_export_brings_every_article_back_as_it_was_and_the_public_one_shows_none(client, session):
    headers = desk(session)
    public = create(client, headers, status="published", title="Public")
    _stage(client, headers, public["id"], {"title": "Public, en attente"})
    create(client, headers, title="Brouillon", translation_of=public["id"], language="en")
    scheduled = create(client, headers, title="Programme")
    at = iso(utcnow() + timedelta(days=1))
    assert publish(client, headers, scheduled["id"], at=at).status_code == 200
    embargoed = create(client, headers, title="Sous embargo")
    until = iso(utcnow() + timedelta(hours=3))
    assert publish(client, headers, embargoed["id"], embargoed_until=until).status_code == 200
    _correct(client, headers, embargoed["id"], kind="update", text="Note sous embargo.")
    expired = create(client, headers, status="published", title="Expire", expires_at=iso(utcnow() + timedelta(hours=1)))
    _correct(client, headers, expired["id"], kind="correction", text="Note d'un article expire.")
    down = create(client, headers, status="published", title="Retire")
    assert client.post(f"/v1/articles/{down['id']}/unpublish", headers=headers).status_code == 200
    clock.advance(timedelta(hours=2))
    hidden = ["brouillon", "expire", "programme", "retire", "sous-embargo"]

    exported = _keyed_export(client, headers)
    before = _everything(client, headers)
    assert _slugs(exported) == sorted([*hidden, "public"])
    assert _slugs(client.get("/v1/export").content) == ["public"]
    assert {slug: read["read"]["status"] for slug, read in before.items()} == {
        "brouillon": "draft",
        "expire": "expired",
        "programme": "scheduled",
        "public": "published",
        "retire": "unpublished",
        "sous-embargo": "published",
    }

    ahead = clock.now() - datetime.now(UTC)
    reset_database()  # a fresh database, and the clock back at the system's time
    clock.advance(ahead)  # where it was: the export's times are not in the future
    writer = bearer(make_key(session, "content:write", "content:publish"))
    report = client.post("/v1/import", content=exported, headers={**NDJSON, **writer}).json()
    reader = bearer(make_key(session, "content:read", name="reader"))

    assert report["errors"] == [] and report["created"] == len(exported.splitlines())
    assert _everything(client, reader) == before
    assert _keyed_export(client, reader) == exported  # and out again, byte for byte
    public_export = client.get("/v1/export").content
    assert _slugs(public_export) == ["public"] and b'"translation_group"' not in public_export
    assert b"Note sous embargo" not in public_export and b"en attente" not in public_export
    again = client.post("/v1/import", content=exported, headers={**NDJSON, **writer}).json()
    assert again["errors"] == [] and again["unchanged"] == len(exported.splitlines())


def test_a_state_goes_only_with_a_draft_line(client, session):
    writer = bearer(make_key(session, "content:write", "content:publish"))
    line = {
        "external_id": "agence-2",
        "title": "Programme",
        "status": "published",
        "state": {"status": "scheduled", "publish_at": iso(utcnow() + timedelta(days=1))},
    }
    wrong = orjson.dumps({"type": "article", "data": line}) + b"\n"
    unscheduled = orjson.dumps(
        {"type": "article", "data": line | {"status": "draft", "state": {"status": "scheduled"}}}
    )

    report = client.post("/v1/import", content=wrong + unscheduled + b"\n", headers={**NDJSON, **writer}).json()

    assert [(e["line"], e["field"]) for e in report["errors"]] == [(1, "data.state"), (2, "data.state")]


def test_gazette_export_all_is_the_keyed_export_and_pending_another_name_of_it(client, session, tmp_path):
    from app.cli import app

    headers = desk(session)
    create(client, headers, title="Brouillon quokkadraft")
    create(client, headers, status="published", title="Public")
    plain, full, pending = tmp_path / "plain.ndjson", tmp_path / "all.ndjson", tmp_path / "pending.ndjson"
    runner = CliRunner()

    for args in (["export", str(plain)], ["export", "--all", str(full)], ["export", "--pending", str(pending)]):
        assert runner.invoke(app, args).exit_code == 0

    assert b"quokkadraft" not in plain.read_bytes() and _slugs(plain.read_bytes()) == ["public"]
    assert full.read_bytes() == pending.read_bytes() == _keyed_export(client, headers)
    assert _slugs(full.read_bytes()) == ["brouillon-quokkadraft", "public"]
