"""The import's bulk path (app/transfer/bulk.py): a batch of lines that create new articles is
written a statement per table, and leaves what the line-by-line path leaves."""

import re

import orjson
import pytest
from sqlalchemy import text

from app.transfer import bulk
from tests.api.transfer.test_export_import import NDJSON, _content
from tests.conftest import IS_POSTGRES, reset_database
from tests.support.factories import bearer, make_article, make_key
from tests.support.statements import statements

ID = re.compile(rb"[0-9a-z]{26}")


def _archive(client, session, articles: int) -> tuple[list[bytes], list[bytes]]:
    """An export of `_content` and `articles` more articles (tagged, authored, quoted,
    attributed), split into its lines before the first article line and the rest."""
    _content(session)
    for n in range(articles):
        make_article(
            session,
            title=f"Dépêche {n}",
            slug=f"depeche-{n}",
            external_id=f"agence-{n}",
            category="europe",
            categories=["a-la-une", "international"],
            tags=["syrie"],
            authors=["jeanne-martin"],
            image={"url": f"https://images.example.org/{n}.jpg", "credit_source": "reuters"},
            attributions=[{"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro"}],
            quotes=[
                {"text": f"Premier mot {n}.", "speaker": "john-kerry", "source": "le-figaro", "said_at": "2015-09-18"},
                {"text": f"Second mot {n}.", "speaker": "maria-zakharova", "external_id": f"q-{n}"},
            ],
            body=[{"type": "paragraph", "text": f"Texte <b>{n}</b>."}, {"type": "quote", "quote": 1}],
            **({"status": "draft"} if n % 5 == 4 else {}),
        )
    response = client.get("/v1/export", headers=bearer(make_key(session, "content:read", name="exporter")))
    assert response.status_code == 200, response.text
    lines = response.content.splitlines()
    first = next(i for i, line in enumerate(lines) if orjson.loads(line)["type"] == "article")
    return lines[:first], lines[first:]


def _import(client, session, lines: list[bytes]) -> dict:
    writer = bearer(make_key(session, "content:write", "content:publish", name="importer"))
    response = client.post("/v1/import", content=b"\n".join(lines) + b"\n", headers={**NDJSON, **writer})
    assert response.status_code == 200, response.text
    return response.json()


def _counted(client, session, lines: list[bytes]) -> tuple[dict, int]:
    with statements() as seen:
        report = _import(client, session, lines)
    return report, len(seen)


def _state(client, session) -> tuple[bytes, list[dict], list[tuple]]:
    """What an import left, ids it makes anew (articles', quotes') masked: the full export,
    every article's revision snapshot, and the change feed's (type, op, version)."""
    reader = bearer(make_key(session, "content:read", name="reader"))
    exported = client.get("/v1/export", headers=reader).content
    ids = [orjson.loads(line)["data"] for line in exported.splitlines() if b'"type":"article"' in line]
    snapshots = []
    for article in client.get("/v1/articles", params={"limit": 100, "status": "all"}, headers=reader).json()["data"]:
        revision = client.get(f"/v1/articles/{article['id']}/revisions/1", headers=reader).json()
        snapshots.append(orjson.loads(ID.sub(b"id", orjson.dumps(revision["snapshot"]))))
    changes = client.get("/v1/changes", params={"limit": 1000}).json()["data"]
    assert ids
    return (
        exported,
        sorted(snapshots, key=lambda s: s["external_id"]),
        [(c["type"], c["op"], c["version"]) for c in changes],
    )


def _fresh(client, session, head: list[bytes]) -> None:
    reset_database()
    report = _import(client, session, head)
    assert report["errors"] == [], report


def test_a_batch_of_new_articles_takes_statements_that_do_not_grow_with_its_lines(client, session, monkeypatch):
    head, articles = _archive(client, session, 20)
    assert len(articles) == 23  # `_content`'s three, and twenty more

    _fresh(client, session, head)
    few, few_statements = _counted(client, session, articles[:6])
    _fresh(client, session, head)
    many, many_statements = _counted(client, session, articles)
    monkeypatch.setattr(bulk, "plan", lambda *_: False)  # the line-by-line path, for comparison
    _fresh(client, session, head)
    by_line, by_line_statements = _counted(client, session, articles)

    assert (few["created"], many["created"], by_line["created"]) == (6, 23, 23)
    assert few["errors"] == many["errors"] == by_line["errors"] == []
    assert many_statements == few_statements  # a statement per table, however many lines
    assert by_line_statements > 5 * many_statements


def test_the_bulk_path_leaves_what_the_line_by_line_path_leaves(client, session, monkeypatch):
    head, articles = _archive(client, session, 12)
    exported = b"\n".join([*head, *articles]) + b"\n"

    reset_database()
    in_bulk = _import(client, session, [*head, *articles])
    bulk_state = _state(client, session)
    monkeypatch.setattr(bulk, "plan", lambda *_: False)
    reset_database()
    by_line = _import(client, session, [*head, *articles])
    line_state = _state(client, session)

    assert in_bulk == by_line
    assert in_bulk["created"] == len(head) + len(articles) and in_bulk["errors"] == []
    assert bulk_state == line_state
    assert bulk_state[0] == exported  # and out again, byte for byte


def test_a_batch_with_a_bad_line_names_it_and_writes_the_others(client, session, monkeypatch):
    head, articles = _archive(client, session, 6)
    bad = orjson.loads(articles[4])
    del bad["data"]["title"]
    lines = [*head, *articles[:4], orjson.dumps(bad), *articles[5:]]
    number = len(head) + 5

    reset_database()
    report = _import(client, session, lines)
    state = _state(client, session)
    monkeypatch.setattr(bulk, "plan", lambda *_: False)
    reset_database()
    by_line = _import(client, session, lines)

    assert [(e["line"], e["field"]) for e in report["errors"]] == [(number, "data.title")]
    assert report["created"] == len(lines) - 1 and report == by_line
    assert state == _state(client, session)
    external_ids = {orjson.loads(line)["data"]["external_id"] for line in state[0].splitlines() if b'"article"' in line}
    assert bad["data"]["external_id"] not in external_ids and len(external_ids) == len(articles) - 1


def test_a_batch_the_bulk_path_cannot_write_is_written_line_by_line(client, session, monkeypatch):
    head, articles = _archive(client, session, 4)
    reset_database()
    first = _import(client, session, [*head, *articles])
    before = _state(client, session)
    # Told that the batch's articles are new when they are there already, the bulk path's
    # statements clash with the stored rows: its savepoint is rolled back, and the lines
    # go one by one, each finding its article unchanged.
    monkeypatch.setattr(bulk, "plan", lambda *_: True)
    again = _import(client, session, articles)

    assert first["errors"] == [] and first["created"] == len(head) + len(articles)
    assert again == {"lines": len(articles), "created": 0, "updated": 0, "unchanged": len(articles), "errors": []}
    assert _state(client, session) == before


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's planner statistics")
def test_an_import_into_an_empty_database_tells_the_planner_how_big_its_tables_grew(client, session, monkeypatch):
    head, articles = _archive(client, session, 20)
    # An import into an empty database analyses its tables once it has written FIRST articles
    # (1,000 in use; 10 here, so that 23 lines cross it), and again at each doubling.
    monkeypatch.setattr(bulk.Statistics, "FIRST", 10)

    def planned(table: str) -> float:
        session.commit()  # a new snapshot: the import commits on its own session
        counted = text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)")
        return session.execute(counted, {"t": table}).scalar_one()

    reset_database()
    _import(client, session, head)
    assert planned("quote") <= 0  # emptied, and never analysed since: a plan would take it for empty
    report = _import(client, session, articles)

    assert report["created"] == 23 and report["errors"] == []
    quotes = session.execute(text("SELECT count(*) FROM quote")).scalar_one()
    assert quotes > 0 and planned("quote") == quotes
    assert planned("article") == session.execute(text("SELECT count(*) FROM article")).scalar_one()
    assert planned("quote_search") == quotes
