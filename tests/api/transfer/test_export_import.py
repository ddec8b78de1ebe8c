"""NDJSON export and import, as an integrator mirroring Gazette would use them."""

import orjson
import pytest
from typer.testing import CliRunner

from app.store.models.common import utcnow
from tests.conftest import reset_database
from tests.support.factories import (
    bearer,
    make_article,
    make_author,
    make_category,
    make_key,
    make_person,
    make_source,
    make_tag,
)

NDJSON = {"Content-Type": "application/x-ndjson"}


def _content(session):
    """A newsroom in small: nested categories, every kind of related thing, rich articles."""
    world = make_category(session, "international", name="International", position=1)
    make_category(session, "europe", parent=world, name="Europe", description="L'Europe")
    make_category(session, "a-la-une", name="À la une")
    make_source(session, "le-figaro", name="Le Figaro", homepage="https://www.lefigaro.fr/")
    make_source(session, "reuters", name="Reuters", kind="photo_agency")
    make_person(session, "john-kerry", name="John Kerry", current_role="secrétaire d'État")
    make_person(session, "maria-zakharova", name="Maria Zakharova")
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "jeanne-martin", name="Jeanne Martin", bio="Grand reporter")
    rich = make_article(
        session,
        title="Moscou et Washington",
        kicker="Un pas en avant",
        standfirst="Selon John Kerry…",
        category="europe",
        categories=["a-la-une"],
        tags=["syrie"],
        authors=["jeanne-martin"],
        published_at="2015-09-19T08:00:00.123456Z",
        canonical_url="https://www.example.org/x/moscou",
        image={
            "url": "https://images.example.org/a.jpg",
            "alt": "Carter",
            "caption": "Le ministre",
            "credit_source": "reuters",
        },
        attributions=[
            {"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro", "url": "https://www.lefigaro.fr/a"}
        ],
        quotes=[
            {
                "text": "Un terrain d'entente.",
                "speaker": "john-kerry",
                "speaker_role": "secrétaire d'État",
                "source": "le-figaro",
                "said_at": "2015-09-18",
            },
            {"text": "Nous restons ouverts.", "speaker": "maria-zakharova", "external_id": "q-zakharova"},
        ],
        body=[
            {"type": "paragraph", "text": "Les Etats-Unis <et> la Russie."},
            {"type": "quote", "quote": 1},
            {"type": "heading", "text": "Suite", "level": 3},
            {"type": "quote", "quote": 0},
            {"type": "list", "items": ["un", "deux"], "ordered": True},
        ],
        comments={"enabled": False, "reason": "Débordements"},
        share={"title": "Partager"},
    )
    plain = make_article(session, title="Sans external_id", external_id=None, language="en")
    keyed = make_article(session, title="Avec external_id", external_id="cms-42", expires_at="2100-01-01T00:00:00Z")
    return rich, plain, keyed


def _export(client) -> bytes:
    response = client.get("/v1/export")
    assert response.status_code == 200, response.text
    return response.content


def _lines(body: bytes) -> list[dict]:
    return [orjson.loads(line) for line in body.splitlines()]


def _import(client, session, body: bytes, *scopes: str):
    secret = make_key(session, *(scopes or ("content:write", "content:publish")), name="importer")
    return client.post("/v1/import", content=body, headers={**NDJSON, **bearer(secret)})


def test_export_is_public_ndjson_with_dependencies_first(client, session):
    _content(session)

    response = client.get("/v1/export")
    lines = _lines(response.content)

    assert response.headers["content-type"].startswith("application/x-ndjson")
    kinds = [line["type"] for line in lines]
    order = ["category", "source", "person", "tag", "author", "article"]
    assert kinds == sorted(kinds, key=order.index) and set(kinds) == set(order)
    categories = [line["data"]["slug"] for line in lines if line["type"] == "category"]
    assert categories.index("international") < categories.index("europe")
    assert all(set(line) == {"type", "data"} for line in lines)


def test_article_lines_are_in_the_create_shape_with_external_ids(client, session):
    _rich, plain, _keyed = _content(session)

    articles = {a["data"]["title"]: a["data"] for a in _lines(_export(client)) if a["type"] == "article"}

    assert articles["Sans external_id"]["external_id"] == plain.id
    assert articles["Avec external_id"]["external_id"] == "cms-42"
    data = articles["Moscou et Washington"]
    assert data["category"] == "europe" and data["categories"] == ["a-la-une"] and data["status"] == "published"
    assert [q["speaker"] for q in data["quotes"]] == ["john-kerry", "maria-zakharova"]
    assert data["quotes"][1]["external_id"] == "q-zakharova" and data["quotes"][0]["external_id"]
    assert {"type": "quote", "quote": 1} in data["body"]
    assert data["attributions"] == [
        {"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro", "url": "https://www.lefigaro.fr/a"}
    ]
    assert "id" not in data


def test_export_import_export_gives_the_same_bytes(client, session):
    _content(session)
    first = _export(client)

    reset_database()
    assert client.get("/v1/articles").json()["data"] == []
    report = _import(client, session, first).json()
    second = _export(client)

    assert report["errors"] == [] and report["created"] == len(first.splitlines())
    assert second == first


def test_an_expiry_goes_out_and_comes_back(client, session):
    _content(session)
    exported = _export(client)
    line = next(x["data"] for x in _lines(exported) if x["type"] == "article" and x["data"]["external_id"] == "cms-42")
    assert line["expires_at"] == "2100-01-01T00:00:00Z"

    reset_database()
    _import(client, session, exported)

    found = client.get("/v1/articles").json()["data"]
    assert [a["expires_at"] for a in found if a["title"] == "Avec external_id"] == ["2100-01-01T00:00:00Z"]


def test_reimport_into_the_same_database_changes_nothing(client, session):
    rich, _, _ = _content(session)
    body = _export(client)
    changes_before = client.get("/v1/changes").json()["data"]

    report = _import(client, session, body).json()

    assert report == {"created": 0, "updated": 0, "unchanged": len(body.splitlines()), "errors": []}
    assert client.get(f"/v1/articles/{rich.id}").json()["version"] == 1
    assert client.get("/v1/changes").json()["data"] == changes_before
    assert _export(client) == body


def test_importing_twice_is_idempotent(client, session):
    _content(session)
    body = _export(client)
    reset_database()

    first = _import(client, session, body).json()
    second = _import(client, session, body).json()

    assert first["created"] == len(body.splitlines())
    assert second == {"created": 0, "updated": 0, "unchanged": len(body.splitlines()), "errors": []}


def test_a_changed_line_updates_its_article_in_place(client, session):
    rich, _, _ = _content(session)
    lines = _lines(_export(client))
    for line in lines:
        if line["type"] == "article" and line["data"]["external_id"] == rich.id:
            line["data"]["title"] = "Moscou et Washington, suite"
    body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    quote_ids = [q["id"] for q in client.get(f"/v1/articles/{rich.id}").json()["quotes"]]

    report = _import(client, session, body).json()
    article = client.get(f"/v1/articles/{rich.id}").json()

    assert report["updated"] == 1 and report["created"] == 0 and report["errors"] == []
    assert article["title"] == "Moscou et Washington, suite" and article["version"] == 2
    assert [q["id"] for q in article["quotes"]] == quote_ids


def test_bad_lines_are_reported_by_number_and_the_rest_are_imported(client, session):
    make_person(session, "john-kerry")
    lines = [
        b'{"type": "tag", "data": {"slug": "syrie", "name": "Syrie"}}',
        b"{not json",
        b'{"type": "poem", "data": {}}',
        b'{"type": "article", "data": {"external_id": "a-1"}}',
        orjson.dumps(
            {
                "type": "article",
                "data": {
                    "external_id": "a-2",
                    "title": "Half",
                    "status": "published",
                    "quotes": [
                        {"text": "Hello", "speaker": {"name": "Brand New Speaker"}},
                        {"text": "Bye", "speaker": "nobody-known"},
                    ],
                },
            }
        ),
        b"",
        orjson.dumps(
            {
                "type": "article",
                "data": {"external_id": "a-3", "title": "Fine", "tags": ["syrie"], "status": "published"},
            }
        ),
    ]

    report = _import(client, session, b"\n".join(lines) + b"\n").json()

    assert report["created"] == 2
    assert {(e["line"], e["field"]) for e in report["errors"]} == {
        (2, "line"),
        (3, "type"),
        (4, "data.title"),
        (5, "data.quotes[1].speaker"),
    }
    assert all(e["message"] for e in report["errors"])
    assert client.get("/v1/people/brand-new-speaker").status_code == 404
    assert [a["title"] for a in client.get("/v1/articles").json()["data"]] == ["Fine"]


def test_drafts_and_their_quotes_never_leak_into_the_export(client, session):
    make_person(session, "john-kerry")
    make_article(session, title="Public", body=[{"type": "paragraph", "text": "Visible."}])
    make_article(
        session,
        title="Brouillon xylophonique",
        status="draft",
        quotes=[{"text": "Zorglub parle.", "speaker": "john-kerry"}],
    )
    deleted = make_article(session, title="Supprimé quetzalcoatl")
    deleted.deleted_at = utcnow()
    session.add(deleted)
    session.commit()

    body = _export(client)

    assert b"xylophonique" not in body and b"Zorglub" not in body and b"quetzalcoatl" not in body
    assert [line["data"]["title"] for line in _lines(body) if line["type"] == "article"] == ["Public"]


def test_importing_over_a_deleted_article_is_reported(client, session):
    article = make_article(session, external_id="gone")
    article.deleted_at = utcnow()
    session.add(article)
    session.commit()
    line = orjson.dumps({"type": "article", "data": {"external_id": "gone", "title": "Back?"}})

    report = _import(client, session, line + b"\n").json()

    assert report["errors"] == [
        {"line": 1, "field": "data.external_id", "message": "names a deleted article; restore it first"}
    ]


def test_import_needs_a_key_with_content_write(client, session):
    line = b'{"type": "tag", "data": {"slug": "x", "name": "X"}}\n'

    anonymous = client.post("/v1/import", content=line, headers=NDJSON)
    reader = _import(client, session, line, "content:read")

    assert anonymous.status_code == 401 and reader.status_code == 403
    assert client.get("/v1/tags/x").status_code == 404


def test_import_takes_only_ndjson(client, session):
    response = _import(client, session, b'{"type": "tag"}', "content:write")
    secret = make_key(session, "content:write")
    json_body = client.post("/v1/import", content=b"{}", headers={"Content-Type": "application/json", **bearer(secret)})

    assert response.status_code == 200
    assert json_body.status_code == 415 and json_body.headers["content-type"] == "application/problem+json"


def test_import_beyond_the_size_limit_is_a_413(client, session, monkeypatch):
    from app.transfer import importer

    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 1000)
    secret = make_key(session, "content:write")
    line = b'{"type": "tag", "data": {"slug": "t", "name": "T"}}\n'

    declared = client.post("/v1/import", content=line * 40, headers={**NDJSON, **bearer(secret)})
    streamed = client.post("/v1/import", content=iter([line] * 40), headers={**NDJSON, **bearer(secret)})

    assert declared.status_code == 413 and streamed.status_code == 413
    assert streamed.headers["content-type"] == "application/problem+json"


def test_cli_export_and_import_round_trip(client, session, tmp_path):
    from app.cli import app

    _content(session)
    path = tmp_path / "copy.ndjson"
    runner = CliRunner()

    exported = runner.invoke(app, ["export", str(path)])
    reset_database()
    imported = runner.invoke(app, ["import", str(path)])

    assert exported.exit_code == 0 and imported.exit_code == 0, imported.output
    assert _export(client) == path.read_bytes()


@pytest.mark.parametrize("scopes", [("content:write",)])
def test_publishing_through_import_needs_content_publish(client, session, scopes):
    line = orjson.dumps({"type": "article", "data": {"external_id": "p", "title": "P", "status": "published"}})
    draft = orjson.dumps({"type": "article", "data": {"external_id": "d", "title": "D"}})

    report = _import(client, session, line + b"\n" + draft + b"\n", *scopes).json()

    assert report["created"] == 1 and [e["line"] for e in report["errors"]] == [1]
