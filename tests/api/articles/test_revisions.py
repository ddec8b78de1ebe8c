"""Revisions: every version kept, with the key that made it, readable and restorable."""

from datetime import timedelta

from sqlalchemy import update

from app.kit import jobs
from app.store.models import Article
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, patch, publish


def test_every_change_keeps_a_revision_naming_its_key_newest_first(client, session):
    writer = desk(session, "content:read", "content:write", name="jeanne")
    editor = desk(session, name="chef d'édition")
    article = create(client, writer, title="v1")
    patch(client, writer, article, {"title": "v2"})
    publish(client, editor, article["id"])

    response = client.get(f"/v1/articles/{article['id']}/revisions", headers=editor)

    listed = response.json()["data"]
    assert [(r["number"], r["version"], r["key_name"], r["status"]) for r in listed] == [
        (3, 3, "chef d'édition", "published"),
        (2, 2, "jeanne", "draft"),
        (1, 1, "jeanne", "draft"),
    ]
    assert all(r["created_at"] for r in listed) and "snapshot" not in listed[0]
    assert response.headers["cache-control"] == "private, no-store"


def test_a_revision_shows_the_article_as_it_was(client, session):
    headers = desk(session)
    article = create(
        client, headers, title="Premier titre", tags=[], quotes=[{"text": "Mot.", "speaker": {"name": "John Kerry"}}]
    )
    patch(client, headers, article, {"title": "Second titre"})

    first = client.get(f"/v1/articles/{article['id']}/revisions/1", headers=headers).json()

    assert first["snapshot"]["title"] == "Premier titre"
    assert first["snapshot"]["quotes"][0]["speaker"] == "john-kerry"
    assert first["snapshot"]["body"] == article["body"]


def test_restoring_a_revision_brings_its_content_back_as_a_new_version(client, session):
    headers = desk(session)
    article = create(
        client,
        headers,
        title="Bon titre",
        standfirst="Bon chapeau",
        quotes=[{"text": "Citation d'origine.", "speaker": {"name": "Maria Zakharova"}}],
        body=[{"type": "quote", "quote": 0}],
    )
    patch(client, headers, article, {"title": "Mauvais titre", "standfirst": None, "quotes": [], "body": []})

    response = client.post(f"/v1/articles/{article['id']}/revisions/1/restore", headers=headers)

    restored = response.json()
    assert response.status_code == 200 and restored["version"] == 3
    assert (restored["title"], restored["standfirst"]) == ("Bon titre", "Bon chapeau")
    assert [q["text"] for q in restored["quotes"]] == ["Citation d'origine."]
    assert restored["body"] == [{"type": "quote", "quote_id": restored["quotes"][0]["id"]}]
    listed = client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"]
    assert [r["number"] for r in listed] == [3, 2, 1]


def test_restoring_a_revision_keeps_the_current_slug_and_status(client, session):
    headers = desk(session)
    article = create(client, headers, title="Titre")
    patch(client, headers, article, {"slug": "nouveau-slug"})
    publish(client, headers, article["id"])

    restored = client.post(f"/v1/articles/{article['id']}/revisions/1/restore", headers=headers).json()

    assert (restored["slug"], restored["status"]) == ("nouveau-slug", "published")


def test_restoring_with_a_stale_if_match_is_412(client, session):
    headers = desk(session)
    article = create(client, headers)
    patch(client, headers, article, {"title": "Deux"})

    response = client.post(f"/v1/articles/{article['id']}/revisions/1/restore", headers={**headers, "If-Match": '"1"'})

    assert response.status_code == 412


def test_revisions_need_a_key_with_content_read(client, session):
    headers = desk(session)
    writer_only = desk(session, "content:write", name="writer")
    article = create(client, headers)

    assert client.get(f"/v1/articles/{article['id']}/revisions").status_code == 401
    assert client.get(f"/v1/articles/{article['id']}/revisions", headers=writer_only).status_code == 403


def test_an_unknown_revision_or_article_is_404(client, session):
    headers = desk(session)
    article = create(client, headers)

    assert client.get(f"/v1/articles/{article['id']}/revisions/9", headers=headers).status_code == 404
    assert client.get("/v1/articles/nope/revisions", headers=headers).status_code == 404
    assert client.get(f"/v1/articles/{article['id']}/revisions/0", headers=headers).status_code == 400


def test_the_scheduler_signs_the_revision_it_makes(client, session):
    headers = desk(session)
    article = create(client, headers)
    publish(client, headers, article["id"], at=iso(utcnow() + timedelta(hours=1)))
    session.execute(
        update(Article).where(Article.id == article["id"]).values(publish_at=utcnow() - timedelta(minutes=1))
    )
    session.commit()

    jobs.run_once()

    newest = client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"][0]
    assert (newest["key_name"], newest["key_id"], newest["status"]) == ("scheduler", None, "published")
