"""Quotes written through /v1/quotes: standalone or on an article, with speakers never duplicated."""

import threading
from collections import Counter

import httpx
import pytest
from sqlmodel import select

from app.store.models import Change
from tests.support.factories import bearer, make_article, make_key, make_person


@pytest.fixture
def writer(session) -> dict[str, str]:
    return bearer(make_key(session, "content:write"))


def _create(client, writer, **body):
    response = client.post("/v1/quotes", json=body, headers=writer)
    assert response.status_code == 201, response.text
    return response


def _patch(client, writer, quote_id: str, etag: str, **body):
    return client.patch(f"/v1/quotes/{quote_id}", json=body, headers={**writer, "If-Match": etag})


def test_a_standalone_quote_is_created_with_location_and_etag(client, writer, session):
    make_person(session, "john-kerry", name="John Kerry")

    response = _create(
        client,
        writer,
        text="Un terrain d'entente.",
        speaker="john-kerry",
        speaker_role="secrétaire d'État",
        said_at="2015-09-18",
    )

    quote = response.json()
    assert response.headers["location"] == f"/v1/quotes/{quote['id']}" and response.headers["etag"] == '"1"'
    assert quote["speaker"]["slug"] == "john-kerry" and quote["language"] == "fr" and quote["article"] is None
    assert client.get(f"/v1/quotes/{quote['id']}").json() == quote


def test_an_inline_speaker_is_created_once(client, writer):
    first = _create(client, writer, text="Premier.", speaker={"name": "Maria Zakharova"})
    second = _create(client, writer, text="Second.", speaker={"name": "Maria Zakharova"})

    assert first.json()["speaker"]["slug"] == second.json()["speaker"]["slug"] == "maria-zakharova"
    assert client.get("/v1/people", params={"count": "true"}).json()["meta"]["total"] == 1


def test_an_unknown_speaker_slug_is_422_naming_speaker(client, writer):
    response = client.post("/v1/quotes", json={"text": "Bonjour.", "speaker": "nobody"}, headers=writer)

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "speaker"


def test_validation_errors_name_each_field(client, writer):
    response = client.post(
        "/v1/quotes", json={"text": "", "said_at": "yesterday", "language": "French"}, headers=writer
    )

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"text", "speaker", "said_at", "language"}


def test_an_unknown_article_is_422_naming_article(client, writer, session):
    make_person(session, "peter-cook")

    response = client.post(
        "/v1/quotes", json={"text": "Bonjour.", "speaker": "peter-cook", "article": "nope"}, headers=writer
    )

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "article"


def test_a_quote_on_a_draft_article_is_not_public(client, writer, session):
    make_person(session, "peter-cook")
    draft = make_article(session, status="draft")

    quote = _create(client, writer, text="Pas encore.", speaker="peter-cook", article=draft.id).json()

    assert client.get(f"/v1/quotes/{quote['id']}").status_code == 404
    assert client.get("/v1/quotes").json()["data"] == []
    assert session.exec(select(Change).where(Change.resource_type == "quote")).all() == []


def test_a_quote_added_to_an_article_bumps_its_version(client, writer, session):
    make_person(session, "peter-cook")
    article = make_article(session, language="en")

    quote = _create(client, writer, text="Hello.", speaker="peter-cook", article=article.id).json()

    shown = client.get(f"/v1/articles/{article.id}", params={"fields": "version"}).json()
    assert shown["version"] == article.version + 1
    assert quote["article"]["id"] == article.id and quote["language"] == "en"


def test_patching_a_quote_renders_its_article_body_again(client, writer, session):
    make_person(session, "peter-cook", name="Peter Cook")
    article = make_article(
        session, quotes=[{"text": "Avant.", "speaker": "peter-cook"}], body=[{"type": "quote", "quote": 0}]
    )
    quote_id = article.body[0]["quote_id"]

    response = _patch(client, writer, quote_id, '"1"', text="Après.", speaker_role="porte-parole")

    assert response.status_code == 200 and response.json()["version"] == 2
    body_html = client.get(f"/v1/articles/{article.id}").json()["body_html"]
    assert "Après." in body_html and "porte-parole" in body_html and "Avant." not in body_html


def test_patch_is_a_merge_patch_where_null_clears_a_field(client, writer, session):
    make_person(session, "peter-cook")
    created = _create(client, writer, text="Bonjour.", speaker="peter-cook", speaker_role="porte-parole")

    response = _patch(client, writer, created.json()["id"], created.headers["etag"], speaker_role=None)

    assert response.json()["speaker_role"] is None and response.json()["text"] == "Bonjour."


def test_patch_can_name_a_new_speaker_inline(client, writer, session):
    make_person(session, "peter-cook")
    created = _create(client, writer, text="Bonjour.", speaker="peter-cook")

    response = _patch(client, writer, created.json()["id"], created.headers["etag"], speaker={"name": "John Kirby"})

    assert response.json()["speaker"]["slug"] == "john-kirby"


def test_patch_without_if_match_is_428_and_stale_is_412(client, writer, session):
    make_person(session, "peter-cook")
    quote_id = _create(client, writer, text="Bonjour.", speaker="peter-cook").json()["id"]

    assert client.patch(f"/v1/quotes/{quote_id}", json={"text": "x"}, headers=writer).status_code == 428
    assert _patch(client, writer, quote_id, '"2"', text="x").status_code == 412


def test_deleting_a_quote_that_an_article_body_shows_is_409(client, writer, session):
    make_person(session, "peter-cook")
    article = make_article(
        session, quotes=[{"text": "Bonjour.", "speaker": "peter-cook"}], body=[{"type": "quote", "quote": 0}]
    )
    quote_id = article.body[0]["quote_id"]

    response = client.delete(f"/v1/quotes/{quote_id}", headers={**writer, "If-Match": '"1"'})

    assert response.status_code == 409 and "body[0]" in response.json()["detail"]


def test_a_deleted_quote_is_gone_and_leaves_a_tombstone(client, writer, session):
    make_person(session, "peter-cook")
    quote_id = _create(client, writer, text="Bonjour.", speaker="peter-cook").json()["id"]

    response = client.delete(f"/v1/quotes/{quote_id}", headers={**writer, "If-Match": '"1"'})

    assert response.status_code == 204 and client.get(f"/v1/quotes/{quote_id}").status_code == 404
    ops = session.exec(
        select(Change.op, Change.version).where(Change.resource_id == quote_id).order_by(Change.id)
    ).all()
    assert ops == [("upsert", 1), ("delete", 2)]


def test_moving_a_quote_onto_a_draft_article_records_a_delete(client, writer, session):
    make_person(session, "peter-cook")
    draft = make_article(session, status="draft")
    created = _create(client, writer, text="Bonjour.", speaker="peter-cook")

    _patch(client, writer, created.json()["id"], created.headers["etag"], article=draft.id)

    assert client.get(f"/v1/quotes/{created.json()['id']}").status_code == 404
    ops = session.exec(select(Change.op).where(Change.resource_type == "quote").order_by(Change.id)).all()
    assert ops == ["upsert", "delete"]


def test_writers_racing_to_name_the_same_new_speaker_make_one_person(client, writer):
    start, statuses = threading.Barrier(6), Counter()

    def write(n: int) -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=30) as own:
            start.wait()
            response = own.post(
                "/v1/quotes", json={"text": f"Citation {n}.", "speaker": {"name": "Dmitri Peskov"}}, headers=writer
            )
            statuses[response.status_code] += 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses == {201: 6}
    assert client.get("/v1/people", params={"count": "true"}).json()["meta"]["total"] == 1
