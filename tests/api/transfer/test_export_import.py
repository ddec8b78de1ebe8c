"""NDJSON export and import, as an integrator mirroring Gazette would use them."""

import json

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
            "width": 1200,
            "height": 675,
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


def test_a_pictures_size_goes_out_and_comes_back(client, session):
    _content(session)
    exported = _export(client)
    line = next(x["data"] for x in _lines(exported) if x["type"] == "article" and x["data"]["image"])
    assert (line["image"]["width"], line["image"]["height"]) == (1200, 675)

    reset_database()
    _import(client, session, exported)

    found = client.get("/v1/articles").json()["data"]
    assert [(a["image"]["width"], a["image"]["height"]) for a in found if a["image"]] == [(1200, 675)]


def test_reimport_into_the_same_database_changes_nothing(client, session):
    rich, _, _ = _content(session)
    body = _export(client)
    changes_before = client.get("/v1/changes").json()["data"]

    report = _import(client, session, body).json()

    n = len(body.splitlines())
    assert report == {"lines": n, "created": 0, "updated": 0, "unchanged": n, "errors": []}
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
    n = len(body.splitlines())
    assert second == {"lines": n, "created": 0, "updated": 0, "unchanged": n, "errors": []}


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


def test_a_streamed_import_cut_by_the_size_limit_says_exactly_which_lines_it_committed(client, session, monkeypatch):
    from app.transfer import importer

    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 20_000)
    monkeypatch.setattr(importer, "BATCH_LINES", 50)
    secret = make_key(session, "content:write")
    lines = [orjson.dumps({"type": "tag", "data": {"slug": f"t-{n}", "name": f"Tag {n}"}}) + b"\n" for n in range(2000)]
    lines[4] = b'{"type": "tag", "data": {"slug": "Not A Slug", "name": "x"}}\n'  # line 5 fails

    def chunks():
        for start in range(0, len(lines), 10):
            yield b"".join(lines[start : start + 10])

    response = client.post("/v1/import", content=chunks(), headers={**NDJSON, **bearer(secret)})

    assert response.status_code == 413, response.text
    problem = response.json()
    report = problem["report"]
    assert 0 < report["lines"] < 2000 and [e["line"] for e in report["errors"]] == [5]
    stored = {t["slug"] for t in _all(client, "/v1/tags")}
    committed = {f"t-{n}" for n in range(report["lines"]) if n != 4}
    assert stored == committed  # every line it names as committed, and none after
    assert report["created"] == len(committed)
    assert f"Lines 1-{report['lines']}" in problem["detail"]
    # Exactly the lines whole within the first 20,000 bytes, however the body was cut in chunks.
    assert sum(len(line) for line in lines[: report["lines"]]) <= 20_000 < sum(map(len, lines[: report["lines"] + 1]))


def _all(client, path: str) -> list[dict]:
    items, cursor = [], None
    while True:
        page = client.get(path, params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        items += page["data"]
        if not (cursor := page["meta"]["next_cursor"]):
            return items


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"slug": "nul", "name": "a\u0000b"}, "data.name"),
        ({"slug": "nul", "name": "ab", "description": "x\u0000"}, "data.description"),
    ],
)
def test_an_import_line_with_text_no_engine_stores_is_refused_naming_line_and_field(client, session, data, field):
    kind = "tag" if "description" not in data else "person"
    good = orjson.dumps({"type": "tag", "data": {"slug": "good", "name": "Good"}})
    bad = orjson.dumps({"type": kind, "data": data})

    report = _import(client, session, good + b"\n" + bad + b"\n", "content:write").json()

    assert report["created"] == 1 and report["lines"] == 2
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(2, field)]
    assert "NUL" in report["errors"][0]["message"]
    assert client.get("/v1/tags/nul").status_code == 404 and client.get("/v1/people/nul").status_code == 404
    assert b"\\u0000" not in client.get("/v1/export").content


def test_an_import_line_with_a_lone_surrogate_is_refused_naming_the_line(client, session):
    bad = b'{"type": "tag", "data": {"slug": "lone", "name": "a\\ud800b"}}'

    report = _import(client, session, bad + b"\n", "content:write").json()

    assert report["created"] == 0 and [e["line"] for e in report["errors"]] == [1]
    assert client.get("/v1/tags/lone").status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/tags", {"name": "a\u0000b"}, "name"),
        ("/v1/tags", {"name": "a\ud800b"}, "name"),
        ("/v1/people", {"name": "P", "description": "\ud800"}, "description"),
        ("/v1/articles", {"title": "T", "body": [{"type": "paragraph", "text": "x\u0000"}]}, "body[0].text"),
    ],
)
def test_a_json_body_with_text_no_engine_stores_is_a_422_naming_the_field(client, session, path, body, field):
    secret = make_key(session, "content:write")
    raw = json.dumps(body).encode()  # ensure_ascii: a lone surrogate goes as its escape, as a client's would

    response = client.post(path, content=raw, headers={"Content-Type": "application/json", **bearer(secret)})

    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_missing_scope_is_named_by_its_value(client, session):
    line = orjson.dumps({"type": "article", "data": {"external_id": "p", "title": "P", "status": "published"}})

    report = _import(client, session, line + b"\n", "content:write").json()

    assert report["errors"][0]["message"] == "This key lacks the 'content:publish' scope."


def _article_line(**data) -> bytes:
    base = {"external_id": "wire-1", "title": "Dépêche", "status": "published"}
    return orjson.dumps({"type": "article", "data": base | data}) + b"\n"


def test_an_article_created_by_import_keeps_its_times_and_an_update_is_now(client, session):
    times = {
        "created_at": "2015-09-19T05:00:00Z",
        "published_at": "2015-09-19T08:00:00Z",
        "updated_at": "2015-09-19T10:30:00Z",
    }
    report = _import(client, session, _article_line(**times)).json()
    assert report["created"] == 1 and report["errors"] == []

    (article,) = client.get("/v1/articles").json()["data"]
    assert {k: article[k] for k in times} == times
    ld = client.get(f"/v1/articles/{article['id']}", params={"format": "jsonld"}).json()
    assert (ld["dateCreated"], ld["datePublished"], ld["dateModified"]) == (
        times["created_at"],
        times["published_at"],
        times["updated_at"],
    )
    line = next(x["data"] for x in _lines(_export(client)) if x["type"] == "article")
    assert (line["created_at"], line["updated_at"]) == (times["created_at"], times["updated_at"])

    # The same line again changes nothing; a changed one is a change made now.
    assert _import(client, session, _article_line(**times)).json()["unchanged"] == 1
    before = utcnow().replace(microsecond=0)
    assert _import(client, session, _article_line(**times, title="Dépêche, suite")).json()["updated"] == 1
    changed = client.get(f"/v1/articles/{article['id']}").json()
    assert changed["created_at"] == times["created_at"] and changed["published_at"] == times["published_at"]
    assert changed["updated_at"] >= before.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("times", "field", "message"),
    [
        ({"created_at": "2999-01-01T00:00:00Z"}, "data.created_at", "in the future"),
        (
            {"created_at": "2016-01-02T00:00:00Z", "updated_at": "2016-01-01T00:00:00Z"},
            "data.updated_at",
            "before created_at",
        ),
        (
            {"published_at": "2016-01-02T00:00:00Z", "updated_at": "2016-01-01T00:00:00Z"},
            "data.updated_at",
            "before published_at",
        ),
        ({"updated_at": "yesterday"}, "data.updated_at", ""),
    ],
)
def test_imported_times_out_of_order_are_refused_naming_the_field(client, session, times, field, message):
    report = _import(client, session, _article_line(**times)).json()

    assert report["created"] == 0
    assert [e["field"] for e in report["errors"]] == [field]
    assert message in report["errors"][0]["message"]
