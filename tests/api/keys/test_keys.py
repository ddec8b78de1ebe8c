"""API keys: made once, shown once, scoped, revocable."""

import re
import subprocess
import sys

from tests.support.factories import bearer, make_article, make_key


def test_admin_creates_lists_and_revokes_keys(client, session):
    admin = make_key(session, "admin")

    created = client.post("/v1/keys", json={"name": "cms", "scopes": ["content:write"]}, headers=bearer(admin))
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "cms" and body["scopes"] == ["content:write"] and body["key"].startswith("gz_")
    assert created.headers["location"] == f"/v1/keys/{body['id']}"

    listed = client.get("/v1/keys", headers=bearer(admin)).json()["data"]
    assert {k["name"] for k in listed} == {"test", "cms"}
    assert all("key" not in k and "key_hash" not in k for k in listed)

    assert client.get("/v1/keys", headers=bearer(body["key"])).status_code == 403
    assert client.delete(f"/v1/keys/{body['id']}", headers=bearer(admin)).status_code == 204
    assert client.get("/v1/keys", headers=bearer(body["key"])).status_code == 401


def test_missing_or_wrong_key_is_401_and_missing_scope_403(client, session):
    writer = make_key(session, "content:write")

    assert client.get("/v1/keys").status_code == 401
    assert client.get("/v1/keys", headers=bearer("gz_not-a-key")).status_code == 401
    assert client.get("/v1/keys", headers={"Authorization": "Basic abc"}).status_code == 401
    response = client.get("/v1/keys", headers=bearer(writer))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_public_article_reads_take_a_key_only_when_one_is_sent(client, session):
    """No key needed; a valid content:read key sees drafts; a bad one is 401, one without the
    scope 403; a header that sends no bearer key (another scheme, none at all) is a 401 too: a
    mistaken header is never served as anonymous."""
    make_article(session, slug="public-one")
    draft = make_article(session, slug="draft-one", status="draft")
    reader, writer = make_key(session, "content:read", name="reader"), make_key(session, "content:write", name="w")
    paths = (f"/v1/articles/{draft.id}", "/v1/articles/slug/draft-one")

    for path in paths:
        assert client.get(path).status_code == 404
        assert client.get(path, headers=bearer(reader)).status_code == 200
        assert client.get(path, headers=bearer("gz_not-a-key")).status_code == 401
        assert client.get(path, headers=bearer(writer)).status_code == 403
        for header in ("Basic abc", "Bearer", ""):
            assert client.get(path, headers={"Authorization": header}).status_code == 401, header
    listed = client.get("/v1/articles", params={"status": "all"}, headers={"authorization": f"bearer {reader}"})
    assert {a["slug"] for a in listed.json()["data"]} == {"public-one", "draft-one"}
    assert client.get("/v1/articles", headers={"Authorization": "Basic abc"}).status_code == 401


def test_keys_are_stored_only_as_hashes(client, session):
    secret = make_key(session, "admin")

    from app.store.models import ApiKey

    stored = session.exec(__import__("sqlmodel").select(ApiKey)).one()
    assert secret not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64


def test_unknown_scope_is_rejected_naming_the_field(client, session):
    admin = make_key(session, "admin")

    response = client.post("/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=bearer(admin))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scopes[0]"


def test_using_a_key_records_when_it_was_last_used(client, session):
    admin = make_key(session, "admin")

    client.get("/v1/keys", headers=bearer(admin))

    listed = client.get("/v1/keys", headers=bearer(admin)).json()["data"]
    assert listed[0]["last_used_at"] is not None


def test_cli_prints_the_key_alone_on_its_last_line(database_url, client):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "keys",
            "create",
            "--name",
            "desk",
            "--scopes",
            "content:write,content:publish",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    secret = result.stdout.strip().splitlines()[-1]

    assert re.fullmatch(r"gz_[A-Za-z0-9_-]{40,}", secret)
    listed = client.get("/v1/keys", headers=bearer(secret))
    assert listed.status_code == 403  # the key works, and lacks admin
