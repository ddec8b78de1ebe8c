"""Stored article documents: GET /v1/articles/{id} answers from them, and they never lag a write.

Each test compares the stored answer (no query: the direct read) with the article built
from its rows (`?format=json`: the route builds it live), after one kind of write.
"""

import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, select

from app.articles import documents, refill
from app.store.engine import get_engine
from app.store.models import ArticleDocument, Category
from tests.conftest import IS_POSTGRES
from tests.support.editorial import desk, patch
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


def _stored_and_live(client, article_id: str) -> dict:
    stored = client.get(f"/v1/articles/{article_id}")
    live = client.get(f"/v1/articles/{article_id}", params={"format": "json"})
    assert stored.status_code == live.status_code == 200, (stored.text, live.text)
    assert stored.json() == live.json()
    # The cache's headers, from what the document carries, are those it derives from the body.
    assert stored.headers["surrogate-key"] == live.headers["surrogate-key"]
    assert stored.headers["etag"] == live.headers["etag"]
    return stored.json()


def _next_second() -> None:
    """Until the second of the last write has passed: Last-Modified names the second before
    until then (app/cache/validators.py), so two answers straddling it would differ."""
    time.sleep(math.ceil(time.time()) - time.time() + 0.02)


def _document(session, article_id: str) -> ArticleDocument | None:
    session.rollback()  # a fresh snapshot: what the server and the job committed since
    return session.exec(select(ArticleDocument).where(ArticleDocument.article_id == article_id)).first()


def _fill(session) -> None:
    """One round of the background job, as `gazette worker` runs it."""
    refill.fill_documents()


@pytest.fixture
def article(session):
    """A published article that shows one of everything a document embeds."""
    make_category(session, "international", name="International")
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "marie-dupont", name="Marie Dupont")
    make_person(session, "john-kerry", name="John Kerry")
    make_source(session, "le-figaro", name="Le Figaro", kind="publication")
    make_source(session, "reuters", name="Reuters", kind="photo_agency")
    return make_article(
        session,
        category="international",
        tags=["syrie"],
        authors=["marie-dupont"],
        quotes=[
            {
                "text": "Un terrain d'entente.",
                "speaker": "john-kerry",
                "speaker_role": "secrétaire d'État",
                "source": "le-figaro",
            }
        ],
        attributions=[
            {"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro", "url": "https://www.lefigaro.fr/a"}
        ],
        image={
            "url": "https://img.example.org/a.jpg",
            "alt": "Une photo",
            "credit": "Reuters",
            "credit_source": "reuters",
        },
        comments={"enabled": False, "reason": "Sujet sensible"},
    )


def test_a_published_article_has_a_stored_document_equal_to_its_live_representation(client, session, article):
    shown = _stored_and_live(client, article.id)
    assert shown["quotes"][0]["speaker"]["name"] == "John Kerry"
    stored = _document(session, article.id)
    assert stored is not None and not stored.stale


def test_the_single_article_read_answers_from_its_stored_document(client, session, article):
    # Proof that the document is what answers: change it behind the API's back.
    session.execute(
        text("UPDATE article_document SET body = :body WHERE article_id = :id"),
        {"body": b'{"id": "stored", "comments": {}}', "id": article.id},
    )
    session.commit()
    assert client.get(f"/v1/articles/{article.id}").json()["id"] == "stored"
    assert client.get(f"/v1/articles/slug/{article.slug}").json()["id"] == "stored"


def test_by_slug_answers_as_by_id(client, session, article):
    by_slug = client.get(f"/v1/articles/slug/{article.slug}")
    assert by_slug.status_code == 200
    assert by_slug.json() == _stored_and_live(client, article.id)


def test_a_stored_answer_has_the_live_answers_last_modified(client, session, article):
    _next_second()
    stored = client.get(f"/v1/articles/{article.id}")
    live = client.get(f"/v1/articles/{article.id}", params={"format": "json"})
    assert stored.headers["last-modified"] == live.headers["last-modified"]


def test_a_patch_rebuilds_the_document_in_the_same_transaction(client, session, article):
    headers = desk(session)
    current = client.get(f"/v1/articles/{article.id}", headers=headers).json()
    assert patch(client, headers, current, {"title": "Un nouveau titre", "kicker": "Inédit"}).status_code == 200
    shown = _stored_and_live(client, article.id)
    assert (shown["title"], shown["kicker"]) == ("Un nouveau titre", "Inédit")
    assert not _document(session, article.id).stale


@pytest.mark.parametrize(
    ("changes", "read", "expected"),
    [
        ({"tags": ["syrie", "russie"]}, lambda a: [t["slug"] for t in a["tags"]], ["syrie", "russie"]),
        ({"category": "monde"}, lambda a: a["category"]["name"], "Monde"),
        (
            {"attributions": [{"source": "reuters", "role": "wire", "label": "Avec Reuters"}]},
            lambda a: [x["source"]["name"] for x in a["attributions"]],
            ["Reuters"],
        ),
        (
            {"image": {"url": "https://img.example.org/b.jpg", "credit_source": "le-figaro"}},
            lambda a: a["image"]["credit_source"]["name"],
            "Le Figaro",
        ),
        (
            {"quotes": [{"text": "Autre chose.", "speaker": "john-kerry"}], "body": [{"type": "quote", "quote": 0}]},
            lambda a: [q["text"] for q in a["quotes"]],
            ["Autre chose."],
        ),
        (
            {"kicker": "Seul le surtitre change"},
            lambda a: (a["kicker"], a["tags"][0]["name"], a["quotes"][0]["text"]),
            ("Seul le surtitre change", "Syrie", "Un terrain d'entente."),
        ),
    ],
    ids=["tags", "category", "attributions", "image", "quotes", "kicker only"],
)
def test_a_patch_document_shows_what_changed_and_what_did_not(client, session, article, changes, read, expected):
    """A PATCH's document reuses what the write read of the parts it left alone, and only those."""
    make_tag(session, "russie", name="Russie")
    make_category(session, "monde", name="Monde")
    headers = desk(session)
    current = client.get(f"/v1/articles/{article.id}", headers=headers).json()
    answer = patch(client, headers, current, changes)
    assert answer.status_code == 200, answer.text
    assert read(answer.json()) == expected
    assert read(_stored_and_live(client, article.id)) == expected


@pytest.mark.parametrize("site_switch", [False, True], ids=["own policy", "site-wide switch"])
def test_a_write_answers_with_the_very_bytes_a_read_then_gets(client, session, article, site_switch):
    # Block members in an order PostgreSQL's jsonb does not keep: the answer is the stored
    # document, and both show the body as the database gives it back.
    if site_switch:
        set_site_comments(session, enabled=False, reason="En raison de débordements.")
    headers = desk(session)
    current = client.get(f"/v1/articles/{article.id}", headers=headers).json()
    body = [{"type": "paragraph", "text": "Un paragraphe."}, {"type": "quote", "quote": 0}]
    answer = patch(client, headers, current, {"kicker": "Inédit", "body": body})
    assert answer.status_code == 200, answer.text
    read = client.get(f"/v1/articles/{article.id}")
    assert answer.content == read.content
    assert answer.json()["comments"]["scope"] == ("site" if site_switch else "article")
    assert not _document(session, article.id).stale
    _stored_and_live(client, article.id)  # the same bytes (ETag) as the article built from its rows


@pytest.mark.parametrize(
    ("path", "field", "value", "read"),
    [
        ("people/john-kerry", "name", "John F. Kerry", lambda a: a["quotes"][0]["speaker"]["name"]),
        ("sources/le-figaro", "name", "Le Figaro (Paris)", lambda a: a["attributions"][0]["source"]["name"]),
        ("sources/reuters", "name", "Reuters Pictures", lambda a: a["image"]["credit_source"]["name"]),
        ("categories/international", "name", "Monde", lambda a: a["category"]["name"]),
        ("tags/syrie", "name", "Syrie (guerre)", lambda a: a["tags"][0]["name"]),
        ("authors/marie-dupont", "name", "Marie Dupont-Léger", lambda a: a["authors"][0]["name"]),
    ],
    ids=["person", "attribution source", "photo credit source", "category", "tag", "author"],
)
def test_a_renamed_resource_never_shows_its_old_name_in_a_stored_article(
    client, session, article, path, field, value, read
):
    writer = bearer(make_key(session, "content:write"))
    etag = client.get(f"/v1/{path}").headers["etag"]
    assert client.patch(f"/v1/{path}", json={field: value}, headers={**writer, "If-Match": etag}).status_code == 200
    assert _document(session, article.id).stale  # marked in the rename's transaction
    assert read(_stored_and_live(client, article.id)) == value  # built live meanwhile
    _fill(session)
    assert not _document(session, article.id).stale
    assert read(_stored_and_live(client, article.id)) == value


@pytest.mark.postgres
def test_an_article_written_while_a_rename_commits_never_keeps_the_old_name(client, session, article):
    """The rename marks the documents that show the old name stale in its transaction; an
    article written meanwhile (PostgreSQL lets the two overlap) builds its document only once
    the rename has committed, so its new document shows the new name."""
    headers = desk(session)
    current = client.get(f"/v1/articles/{article.id}", headers=headers).json()
    with Session(get_engine()) as renaming:
        renaming.execute(update(Category).where(Category.slug == "international").values(name="Monde"))
        documents.on_commit(renaming, {"category:international"})  # what a rename's commit runs first
        with ThreadPoolExecutor(1) as pool:
            writing = pool.submit(patch, client, headers, current, {"kicker": "Inédit"})
            time.sleep(1)  # the write gets as far as it can meanwhile
            renaming.commit()
            assert writing.result(timeout=30).status_code == 200
    assert _stored_and_live(client, article.id)["category"]["name"] == "Monde"
    assert not _document(session, article.id).stale  # the write built it, after the rename


def test_a_renamed_slug_is_shown_and_the_old_one_redirects(client, session, article):
    writer = bearer(make_key(session, "content:write"))
    etag = client.get("/v1/people/john-kerry").headers["etag"]
    response = client.patch(
        "/v1/people/john-kerry", json={"slug": "john-forbes-kerry"}, headers={**writer, "If-Match": etag}
    )
    assert response.status_code == 200
    _fill(session)
    assert _stored_and_live(client, article.id)["quotes"][0]["speaker"]["slug"] == "john-forbes-kerry"


def test_a_quote_changed_on_its_own_rebuilds_its_article(client, session, article):
    writer = bearer(make_key(session, "content:write"))
    quote_id = _stored_and_live(client, article.id)["quotes"][0]["id"]
    etag = client.get(f"/v1/quotes/{quote_id}").headers["etag"]
    response = client.patch(
        f"/v1/quotes/{quote_id}", json={"text": "Un pas en avant."}, headers={**writer, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert not _document(session, article.id).stale
    assert _stored_and_live(client, article.id)["quotes"][0]["text"] == "Un pas en avant."


@pytest.mark.parametrize("action", ["unpublish", "delete"])
def test_an_article_taken_down_loses_its_document_and_is_404(client, session, article, action):
    headers = desk(session)
    if action == "unpublish":
        response = client.post(f"/v1/articles/{article.id}/unpublish", headers=headers)
    else:
        response = client.delete(f"/v1/articles/{article.id}", headers={**headers, "If-Match": f'"{article.version}"'})
    assert response.status_code in (200, 204), response.text
    assert _document(session, article.id) is None
    assert client.get(f"/v1/articles/{article.id}").status_code == 404
    assert client.get(f"/v1/articles/slug/{article.slug}").status_code == 404


def test_a_draft_or_scheduled_article_has_no_document(client, session):
    draft = make_article(session, status="draft")
    scheduled = make_article(session, status="draft")
    headers = desk(session)
    assert (
        client.post(
            f"/v1/articles/{scheduled.id}/publish", json={"at": "2099-01-01T00:00:00Z"}, headers=headers
        ).status_code
        == 200
    )
    for a in (draft, scheduled):
        assert _document(session, a.id) is None
        assert client.get(f"/v1/articles/{a.id}").status_code == 404


def test_the_site_wide_comments_switch_is_put_over_the_stored_policy(client, session, article):
    assert _stored_and_live(client, article.id)["comments"] == {
        "enabled": False,
        "scope": "article",
        "reason": "Sujet sensible",
    }
    set_site_comments(session, enabled=False, reason="En raison de débordements.")
    assert _stored_and_live(client, article.id)["comments"] == {
        "enabled": False,
        "scope": "site",
        "reason": "En raison de débordements.",
    }
    set_site_comments(session, enabled=True, reason=None)
    assert _stored_and_live(client, article.id)["comments"]["scope"] == "article"


def test_documents_of_another_site_url_are_marked_stale_at_start_and_built_again(client, session, article):
    second = make_article(session)
    session.execute(text("DELETE FROM site_setting WHERE key = 'documents'"))
    session.execute(
        text(
            "INSERT INTO site_setting (key, value, version, updated_at) VALUES ('documents', :v, 1, CURRENT_TIMESTAMP)"
        ),
        {"v": '{"fingerprint": "1 https://old.example.org", "walk_after": null}'},
    )
    session.commit()
    refill.start_up()
    assert _document(session, article.id).stale and _document(session, second.id).stale  # never served
    assert _stored_and_live(client, article.id)["id"] == article.id  # live meanwhile
    _fill(session)
    assert not _document(session, article.id).stale and not _document(session, second.id).stale
    _stored_and_live(client, second.id)


def test_documents_nobody_vouched_for_are_kept_when_they_are_what_this_code_builds(client, session, article):
    second = make_article(session)
    session.execute(text("DELETE FROM site_setting WHERE key = 'documents'"))  # as after an import
    session.commit()
    refill.start_up()  # builds the newest few again, compares, and vouches
    assert not _document(session, article.id).stale and not _document(session, second.id).stale
    built_at = _document(session, second.id).built_at
    _stored_and_live(client, article.id)
    _fill(session)  # nothing to build: the walk skips articles that have their document
    assert _document(session, second.id).built_at == built_at


def test_documents_nobody_vouched_for_are_marked_stale_when_they_differ(client, session, article):
    second = make_article(session)
    session.execute(text("DELETE FROM site_setting WHERE key = 'documents'"))
    session.execute(
        text("UPDATE article_document SET body = :b WHERE article_id = :id"), {"b": b'{"old":1}', "id": second.id}
    )
    session.commit()
    refill.start_up()
    assert _document(session, article.id).stale and _document(session, second.id).stale
    assert _stored_and_live(client, second.id)["id"] == second.id
    _fill(session)
    assert not _document(session, second.id).stale
    _stored_and_live(client, second.id)


def test_a_scheduled_article_gets_its_document_when_the_scheduler_publishes_it(client, session):
    from datetime import timedelta

    from sqlalchemy import update

    from app.kit import jobs
    from app.store.models import Article
    from app.store.models.common import utcnow

    headers = desk(session)
    article = make_article(session, status="draft")
    assert (
        client.post(
            f"/v1/articles/{article.id}/publish", json={"at": "2099-01-01T00:00:00Z"}, headers=headers
        ).status_code
        == 200
    )
    session.execute(update(Article).where(Article.id == article.id).values(publish_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    jobs.run_once()
    assert _document(session, article.id) is not None
    assert _stored_and_live(client, article.id)["status"] == "published"


def test_restoring_a_deleted_article_or_an_old_revision_rebuilds_its_document(client, session, article):
    headers = desk(session)
    assert client.delete(f"/v1/articles/{article.id}", headers={**headers, "If-Match": '"1"'}).status_code == 204
    assert client.post(f"/v1/articles/{article.id}/restore", headers=headers).status_code == 200
    assert _stored_and_live(client, article.id)["title"] == article.title
    current = client.get(f"/v1/articles/{article.id}", headers=headers).json()
    assert patch(client, headers, current, {"title": "Un autre titre"}).status_code == 200
    assert _stored_and_live(client, article.id)["title"] == "Un autre titre"
    assert client.post(f"/v1/articles/{article.id}/revisions/1/restore", headers=headers).status_code == 200
    assert _stored_and_live(client, article.id)["title"] == article.title
    assert not _document(session, article.id).stale


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite's write-ahead log")
def test_reading_documents_holds_no_snapshot_that_keeps_the_log_from_being_checkpointed(client, session):
    article = make_article(session, title="Un article")
    assert client.get(f"/v1/articles/{article.id}").status_code == 200

    connection = session.connection().connection.driver_connection
    busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    assert busy == 0  # no reader left a transaction open on an old snapshot


def test_many_articles_read_at_once_each_get_their_own_document(server, session):
    """Concurrent reads by id are answered together on PostgreSQL (one statement for the ids
    asked meanwhile): every request still gets its own article, one with no document its
    live answer, and one that is not public its 404."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    articles = [make_article(session, title=f"Article {n}") for n in range(24)]
    session.execute(text("DELETE FROM article_document WHERE article_id = :id"), {"id": articles[0].id})
    session.commit()
    draft = make_article(session, title="Brouillon", status="draft")
    wanted = [a.id for a in articles] * 3 + [draft.id] * 3

    def read(article_id: str) -> tuple[str, int, str | None]:
        with httpx.Client(base_url=server, timeout=30) as reader:
            response = reader.get(f"/v1/articles/{article_id}", headers={"Accept-Encoding": "identity"})
            return article_id, response.status_code, response.json().get("id") if response.status_code == 200 else None

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(read, wanted))

    assert [(status, got) for _, status, got in answers] == [
        (200, article_id) if article_id != draft.id else (404, None) for article_id in wanted
    ]
