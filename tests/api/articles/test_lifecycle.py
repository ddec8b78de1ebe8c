"""An article's life: publish now or at a time, unpublish, soft delete and restore."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.kit import jobs
from app.store.models import Article
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, publish


def _in(minutes: float) -> str:
    return iso(utcnow() + timedelta(minutes=minutes))


def _time_passes(session, article_id: str) -> None:
    """What the clock does while we wait: the scheduled time is now in the past."""
    session.execute(update(Article).where(Article.id == article_id).values(publish_at=utcnow() - timedelta(minutes=1)))
    session.commit()


def test_publish_now_makes_a_draft_public(client, session):
    headers = desk(session)
    article = create(client, headers, title="Brouillon")

    response = publish(client, headers, article["id"])

    assert response.status_code == 200 and response.headers["etag"] == '"2"'
    assert response.json()["status"] == "published" and response.json()["published_at"] is not None
    assert client.get(f"/v1/articles/{article['id']}").status_code == 200


def test_a_date_before_the_year_1000_is_written_with_four_digits(client, session):
    """`at` in the past publishes now with that date; RFC 3339 years have four digits."""
    headers = desk(session)
    article = create(client, headers)
    answer = publish(client, headers, article["id"], at="0331-06-08T18:34:08.371238Z")
    assert answer.status_code == 200, answer.text
    assert answer.json()["published_at"] == "0331-06-08T18:34:08Z"
    listed = client.get("/v1/articles", params={"published_before": "1463-10-28T15:50:33Z"}).json()["data"]
    assert [a["published_at"] for a in listed] == ["0331-06-08T18:34:08Z"]
    assert client.get(f"/v1/articles/{article['id']}").json()["published_at"] == "0331-06-08T18:34:08Z"


def test_publishing_needs_content_publish(client, session):
    writer = desk(session, "content:read", "content:write", name="writer")
    article = create(client, writer)

    assert publish(client, writer, article["id"]).status_code == 403
    assert client.post(f"/v1/articles/{article['id']}/publish").status_code == 401


def test_publishing_a_published_article_again_is_409(client, session):
    headers = desk(session)
    article = create(client, headers, status="published")

    assert publish(client, headers, article["id"]).status_code == 409


def test_scheduling_keeps_the_article_private_until_its_time(client, session):
    headers = desk(session)
    article = create(client, headers)

    scheduled = publish(client, headers, article["id"], at=_in(60)).json()
    jobs.run_once()

    assert scheduled["status"] == "scheduled" and scheduled["scheduled_at"] is not None
    assert client.get(f"/v1/articles/{article['id']}").status_code == 404
    assert client.get(f"/v1/articles/{article['id']}", headers=headers).json()["status"] == "scheduled"


def test_a_scheduled_article_publishes_itself_when_its_time_comes(client, session):
    headers = desk(session)
    article = create(client, headers)
    publish(client, headers, article["id"], at=_in(60))

    _time_passes(session, article["id"])  # as if the server had been down at that moment
    jobs.run_once()

    public = client.get(f"/v1/articles/{article['id']}")
    assert public.status_code == 200 and public.json()["status"] == "published"
    assert public.json()["published_at"] is not None and public.json()["scheduled_at"] is None


def test_unpublish_takes_a_published_article_down(client, session):
    headers = desk(session)
    article = create(client, headers, status="published")

    response = client.post(f"/v1/articles/{article['id']}/unpublish", headers=headers)

    assert response.status_code == 200 and response.json()["status"] == "unpublished"
    assert client.get(f"/v1/articles/{article['id']}").status_code == 404


def test_unpublishing_a_scheduled_article_returns_it_to_draft(client, session):
    headers = desk(session)
    article = create(client, headers)
    publish(client, headers, article["id"], at=_in(60))

    response = client.post(f"/v1/articles/{article['id']}/unpublish", headers=headers)
    _time_passes(session, article["id"])
    jobs.run_once()

    assert response.json()["status"] == "draft"
    assert client.get(f"/v1/articles/{article['id']}", headers=headers).json()["status"] == "draft"


def test_unpublishing_a_draft_is_409(client, session):
    headers = desk(session)
    article = create(client, headers)

    assert client.post(f"/v1/articles/{article['id']}/unpublish", headers=headers).status_code == 409


def test_delete_needs_if_match(client, session):
    headers = desk(session)
    article = create(client, headers)
    url = f"/v1/articles/{article['id']}"

    missing = client.delete(url, headers=headers)
    stale = client.delete(url, headers={**headers, "If-Match": '"7"'})

    assert (missing.status_code, stale.status_code) == (428, 412)


def test_delete_is_soft_and_restore_brings_the_article_back_as_it_was(client, session):
    headers = desk(session)
    article = create(client, headers, status="published")
    url = f"/v1/articles/{article['id']}"

    deleted = client.delete(url, headers={**headers, "If-Match": '"1"'})
    gone = client.get(url)
    seen = client.get(url, headers=headers).json()
    restored = client.post(f"{url}/restore", headers=headers)

    assert deleted.status_code == 204 and gone.status_code == 404
    assert seen["status"] == "deleted" and seen["version"] == 2
    assert restored.status_code == 200 and restored.json()["status"] == "published"
    assert client.get(url).status_code == 200


def test_a_deleted_article_cannot_be_patched_or_published(client, session):
    headers = desk(session)
    article = create(client, headers)
    url = f"/v1/articles/{article['id']}"
    client.delete(url, headers={**headers, "If-Match": '"1"'})

    patched = client.patch(url, json={"title": "x"}, headers={**headers, "If-Match": '"2"'})

    assert patched.status_code == 409 and publish(client, headers, article["id"]).status_code == 409


def test_restoring_an_article_that_is_not_deleted_is_409(client, session):
    headers = desk(session)
    article = create(client, headers)

    assert client.post(f"/v1/articles/{article['id']}/restore", headers=headers).status_code == 409


def test_taking_down_a_public_article_by_deleting_it_needs_content_publish(client, session):
    headers = desk(session)
    writer = desk(session, "content:read", "content:write", name="writer")
    article = create(client, headers, status="published")

    response = client.delete(f"/v1/articles/{article['id']}", headers={**writer, "If-Match": '"1"'})

    assert response.status_code == 403 and client.get(f"/v1/articles/{article['id']}").status_code == 200


def test_every_lifecycle_step_is_a_new_version(client, session):
    headers = desk(session)
    article = create(client, headers)
    url = f"/v1/articles/{article['id']}"

    versions = [
        publish(client, headers, article["id"]).json()["version"],
        client.post(f"{url}/unpublish", headers=headers).json()["version"],
        client.delete(url, headers={**headers, "If-Match": '"3"'}).headers["etag"],
        client.post(f"{url}/restore", headers=headers).json()["version"],
    ]

    assert versions == [2, 3, '"4"', 5]


def test_a_publish_time_that_is_not_a_time_is_422_naming_at(client, session):
    headers = desk(session)
    article = create(client, headers)

    response = publish(client, headers, article["id"], at="demain")

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "at"


@pytest.mark.parametrize("status", ["draft", "scheduled", "unpublished", "deleted"])
def test_keyed_callers_list_articles_by_status(client, session, status):
    headers = desk(session)
    draft = create(client, headers, title="Brouillon")
    scheduled = create(client, headers, title="Programmé")
    publish(client, headers, scheduled["id"], at=_in(60))
    unpublished = create(client, headers, title="Retiré", status="published")
    client.post(f"/v1/articles/{unpublished['id']}/unpublish", headers=headers)
    deleted = create(client, headers, title="Supprimé")
    client.delete(f"/v1/articles/{deleted['id']}", headers={**headers, "If-Match": '"1"'})
    expected = {"draft": draft, "scheduled": scheduled, "unpublished": unpublished, "deleted": deleted}[status]

    listed = client.get("/v1/articles", params={"status": status}, headers=headers)

    assert [a["id"] for a in listed.json()["data"]] == [expected["id"]]
    assert listed.headers["cache-control"] == "private, no-store"


def test_listing_by_status_without_a_key_is_400_naming_status(client, session):
    response = client.get("/v1/articles", params={"status": "draft"})

    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "status"


def test_the_change_feed_sees_what_the_public_sees_of_a_life(client, session):
    headers = desk(session)
    article = create(client, headers)
    url = f"/v1/articles/{article['id']}"

    client.patch(
        url,
        json={"title": "Encore un brouillon"},
        headers={**headers, "If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )
    publish(client, headers, article["id"])
    client.patch(
        url,
        json={"title": "Corrigé"},
        headers={**headers, "If-Match": '"3"', "Content-Type": "application/merge-patch+json"},
    )
    client.post(f"{url}/unpublish", headers=headers)

    feed = client.get("/v1/changes").json()["data"]
    assert [(c["op"], c["version"]) for c in feed if c["id"] == article["id"]] == [
        ("upsert", 3),
        ("upsert", 4),
        ("delete", 5),
    ]
