"""GET /v1/articles answers its items from the stored documents (app/articles/documents.py,
`summaries`) when it can, and the page is byte for byte the one built from the rows.

Each test reads a list twice: as served, then with every document marked stale behind the
API's back (so the list builds every item) and the response cache emptied."""

import pytest
from sqlalchemy import text

from app import cache
from tests.support.factories import (
    bearer,
    make_article,
    make_author,
    make_category,
    make_key,
    make_person,
    make_source,
    make_tag,
    set_site_comments,
)


@pytest.fixture
def archive(session):
    """Articles with one of everything a list item shows, and text that looks like the cut."""
    section = make_category(session, "international", name="International")
    make_category(session, "syrie-cat", name="Syrie", parent=section)
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "marie-dupont", name="Marie Dupont")
    make_person(session, "john-kerry", name="John Kerry")
    make_source(session, "le-figaro", name="Le Figaro", kind="publication")
    make_source(session, "reuters", name="Reuters", kind="photo_agency")
    rich = make_article(
        session,
        title='Le ,"body": piège, "reading_time_minutes": 3 </script> & \u2028',
        kicker='{"body":[]}',
        category="syrie-cat",
        tags=["syrie"],
        authors=["marie-dupont"],
        quotes=[{"text": 'Il a dit ,"body": "non".', "speaker": "john-kerry", "source": "le-figaro"}],
        attributions=[{"source": "le-figaro", "role": "read_on", "label": "Lu sur", "url": "https://x.example/a"}],
        image={
            "url": "https://img.example.org/a.jpg",
            "alt": "Une photo",
            "credit": "Reuters",
            "credit_source": "reuters",
        },
        comments={"enabled": False, "reason": "Sujet sensible"},
    )
    plain = [make_article(session, title=f"Brève {n}") for n in range(4)]
    make_article(session, title="Brouillon", status="draft")
    return rich, plain


def _served_and_built(client, session, params: dict, headers: dict | None = None) -> bytes:
    cache.clear()
    served = client.get("/v1/articles", params=params, headers=headers or {})
    session.execute(text("UPDATE article_document SET stale = true"))
    session.commit()
    cache.clear()
    built = client.get("/v1/articles", params=params, headers=headers or {})
    session.execute(text("UPDATE article_document SET stale = false"))
    session.commit()
    assert served.status_code == built.status_code == 200, (served.text, built.text)
    assert served.content == built.content
    for name in ("etag", "surrogate-key", "link"):  # Last-Modified names the second: not compared
        assert served.headers.get(name) == built.headers.get(name), name
    return served.content


def test_the_list_answers_from_the_stored_documents(client, session, archive):
    rich, _ = archive
    session.execute(
        text("UPDATE article_document SET body = :body WHERE article_id = :id"),
        {"body": b'{"id":"stored","reading_time_minutes":1,"body":[]}', "id": rich.id},
    )
    session.commit()

    shown = client.get("/v1/articles", params={"limit": 100}).json()["data"]

    assert {"id": "stored", "reading_time_minutes": 1} in shown


def test_fields_are_trimmed_from_the_stored_documents(client, session, archive):
    rich, _ = archive
    session.execute(
        text("UPDATE article_document SET body = :body WHERE article_id = :id"),
        {"body": b'{"id":"stored","title":"T","kicker":"K","reading_time_minutes":1,"body":[]}', "id": rich.id},
    )
    session.commit()

    shown = client.get("/v1/articles", params={"limit": 100, "fields": "reading_time_minutes,title"}).json()["data"]

    assert {"title": "T", "reading_time_minutes": 1} in shown


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"limit": 2},
        {"limit": 100, "count": "true"},
        {"category": "international"},
        {"tag": "syrie"},
        {"author": "marie-dupont"},
        {"speaker": "john-kerry"},
        {"source": "le-figaro"},
        {"lang": "fr"},
        {"sort": "published_at"},
        {"sort": "-updated_at"},
        {"include": "body"},
        {"include": "quotes"},
        {"include": "attributions"},
        {"include": "quotes,attributions,body"},
        {"fields": "id,title"},
        {"fields": "id,title,quotes"},
        {"fields": "comments,share,image,url"},
        {"fields": "language,published_at,standfirst,title,slug,id", "category": "syrie-cat"},
        {"fields": "status,categories,tags,authors,category,translations,translation_of,live", "sort": "published_at"},
        {"fields": "id,title", "tag": "syrie", "limit": 1},
        {"category": "international", "sort": "-updated_at", "limit": 1},
        {"category": "syrie-cat", "sort": "updated_at"},
        {"category": "syrie-cat", "tag": "syrie"},
    ],
)
def test_every_variant_is_what_building_the_items_gives(client, session, archive, params):
    body = _served_and_built(client, session, params)
    assert b'"data":[{' in body


@pytest.mark.parametrize(
    "params", [{}, {"category": "international"}, {"category": "international", "sort": "updated_at"}]
)
def test_the_next_page_too(client, session, archive, params):
    make_article(session, title="Dans la section", category="international")
    first = client.get("/v1/articles", params={**params, "limit": 1}).json()
    assert first["meta"]["next_cursor"]
    _served_and_built(client, session, {**params, "limit": 1, "cursor": first["meta"]["next_cursor"]})


def test_the_site_wide_comments_switch_shows_in_stored_items(client, session, archive):
    set_site_comments(session, enabled=False, reason="Fermé")
    body = _served_and_built(client, session, {"limit": 100})
    assert b'"scope":"site"' in body
    trimmed = _served_and_built(client, session, {"limit": 100, "fields": "id,comments"})
    assert b'"scope":"site"' in trimmed and b'"title"' not in trimmed


def test_a_keys_list_with_a_draft_builds_the_page(client, session, archive):
    headers = bearer(make_key(session, "content:read"))
    body = _served_and_built(client, session, {"status": "all", "limit": 100}, headers)
    assert b"Brouillon" in body


def test_an_item_with_notices_translations_and_live_coverage_is_the_built_one(client, session):
    """What lands on an article after the list's cut was designed (correction notices, which a
    list shows only with include; its translation group; a live blog's coverage) comes out of
    the stored bytes exactly as built."""
    from tests.support.editorial import create, desk

    headers = desk(session)
    original = create(client, headers, title="La crue", language="fr", status="published")
    create(client, headers, title="The flood", language="en", status="published", translation_of=original["id"])
    live = create(client, headers, title="En direct", status="published", live={})
    noticed = client.post(
        f"/v1/articles/{live['id']}/corrections",
        json={"kind": "update", "text": "Le fil reprend demain."},
        headers={**headers, "If-Match": f'"{live["version"]}"'},
    )
    assert noticed.status_code == 201, noticed.text

    page = _served_and_built(client, session, {"limit": 100})
    trimmed = _served_and_built(client, session, {"limit": 100, "fields": "id,translations,translation_of,live"})
    with_notices = _served_and_built(client, session, {"limit": 100, "include": "corrections"})

    assert b"Le fil reprend demain." not in page and b"Le fil reprend demain." in with_notices
    assert b'"translations":[{"language":"en"' in page and b'"live":{"state":"live"' in page
    assert b'"translations":[{"language":"en"' in trimmed and b'"live":{"state":"live"' in trimmed


_INCLUDES = ["body", "quotes", "attributions", "corrections"]
_COMBINATIONS = [
    ",".join(name for k, name in enumerate(_INCLUDES) if mask >> k & 1) for mask in range(1, 1 << len(_INCLUDES))
]


@pytest.fixture
def noticed(client, session, archive):
    """The archive, its rich article with text that looks like the heavy parts' cuts in its
    body, and a correction notice on it (one whose text looks like them too)."""
    from tests.support.editorial import desk

    rich, _ = archive
    headers = desk(session)
    version = client.get(f"/v1/articles/{rich.id}").json()["version"]
    changed = client.patch(
        f"/v1/articles/{rich.id}",
        json={"body": [{"type": "paragraph", "text": 'x ,"quotes":[] ,"attributions":[] ,"corrections":[]}'}]},
        headers={**headers, "If-Match": f'"{version}"'},
    )
    assert changed.status_code == 200, changed.text
    noticed = client.post(
        f"/v1/articles/{rich.id}/corrections",
        json={"kind": "correction", "text": 'Erratum ,"corrections":[] ,"body": ]}'},
        headers={**headers, "If-Match": f'"{changed.json()["version"]}"'},
    )
    assert noticed.status_code == 201, noticed.text
    return archive


@pytest.mark.parametrize("include", _COMBINATIONS)
def test_every_include_is_what_building_the_items_gives(client, session, noticed, include):
    body = _served_and_built(client, session, {"include": include, "limit": 100})
    for name in _INCLUDES:
        assert (f'"{name}":'.encode() in body) == (name in include.split(","))
    assert (b"Erratum" in body) == ("corrections" in include)


@pytest.mark.parametrize(
    "params",
    [
        {"include": "quotes", "fields": "id,title"},
        {"include": "quotes,attributions", "fields": "id,quotes"},
        {"include": "corrections", "fields": "corrections,reading_time_minutes,body"},
        {"fields": "body,title"},
        {"fields": "attributions,corrections,id"},
        {"include": "body,quotes", "category": "international"},
        {"include": "quotes", "tag": "syrie", "limit": 1},
        {"include": "attributions", "sort": "-updated_at", "count": "true"},
    ],
)
def test_include_with_fields_and_filters_is_what_building_the_items_gives(client, session, noticed, params):
    body = _served_and_built(client, session, {"limit": 100, **params})
    assert b'"data":[{' in body


_STORED = (
    b'{"id":"stored","reading_time_minutes":1,"live":null,"body":[{"type":"paragraph","text":"B"}],'
    b'"body_html":"<p>B</p>","quotes":[{"id":"q","text":"Q"}],"attributions":[{"role":"r"}],'
    b'"corrections":[{"id":"c","text":"C"}]}'
)


@pytest.mark.parametrize(
    ("include", "expected"),
    [
        ("quotes", {"id": "stored", "reading_time_minutes": 1, "live": None, "quotes": [{"id": "q", "text": "Q"}]}),
        (
            "body,corrections",
            {
                "id": "stored",
                "reading_time_minutes": 1,
                "live": None,
                "body": [{"type": "paragraph", "text": "B"}],
                "body_html": "<p>B</p>",
                "corrections": [{"id": "c", "text": "C"}],
            },
        ),
        (
            "attributions,quotes",
            {
                "id": "stored",
                "reading_time_minutes": 1,
                "live": None,
                "quotes": [{"id": "q", "text": "Q"}],
                "attributions": [{"role": "r"}],
            },
        ),
    ],
)
def test_a_list_with_include_answers_from_the_stored_documents(client, session, archive, include, expected):
    rich, _ = archive
    session.execute(
        text("UPDATE article_document SET body = :body WHERE article_id = :id"), {"body": _STORED, "id": rich.id}
    )
    session.commit()

    shown = client.get("/v1/articles", params={"limit": 100, "include": include}).json()["data"]

    assert expected in shown
    assert list(next(item for item in shown if item.get("id") == "stored")) == list(expected)


def test_a_document_without_a_part_asked_for_is_built_instead(client, session, archive):
    rich, _ = archive
    older = _STORED[: _STORED.index(b',"corrections":')] + b"}"  # a document from before notices
    session.execute(
        text("UPDATE article_document SET body = :body WHERE article_id = :id"), {"body": older, "id": rich.id}
    )
    session.commit()

    with_notices = client.get("/v1/articles", params={"limit": 100, "include": "corrections"}).json()["data"]
    cache.clear()
    with_quotes = client.get("/v1/articles", params={"limit": 100, "include": "quotes"}).json()["data"]

    assert "stored" not in {item["id"] for item in with_notices}
    assert rich.id in {item["id"] for item in with_notices}
    assert "stored" not in {item["id"] for item in with_quotes}  # the whole page is built
