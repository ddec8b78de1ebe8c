"""Preview tokens: a signed, expiring link that opens one draft, and nothing else."""

from datetime import timedelta

from app.articles import previews
from app.store.models.common import utcnow
from tests.support.editorial import create, desk


def test_a_preview_token_opens_its_draft_without_a_key(client, session):
    headers = desk(session)
    article = create(client, headers, title="Brouillon secret")

    issued = client.post(f"/v1/articles/{article['id']}/preview-token", headers=headers)
    opened = client.get(f"/v1/articles/{article['id']}", params={"preview": issued.json()["token"]})

    assert issued.status_code == 200 and set(issued.json()) >= {"token", "expires_at"}
    assert opened.status_code == 200 and opened.json()["title"] == "Brouillon secret"
    assert opened.headers["cache-control"] == "private, no-store"


def test_a_token_for_another_article_does_not_open_this_one(client, session):
    headers = desk(session)
    mine, other = create(client, headers), create(client, headers)
    token = client.post(f"/v1/articles/{mine['id']}/preview-token", headers=headers).json()["token"]

    response = client.get(f"/v1/articles/{other['id']}", params={"preview": token})

    assert response.status_code == 404


def test_a_tampered_token_is_401(client, session):
    headers = desk(session)
    article = create(client, headers)
    token = client.post(f"/v1/articles/{article['id']}/preview-token", headers=headers).json()["token"]

    response = client.get(f"/v1/articles/{article['id']}", params={"preview": token[:-2] + "xx"})

    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


def test_an_expired_token_is_401(client, session, monkeypatch):
    headers = desk(session)
    article = create(client, headers)
    issued = client.post(f"/v1/articles/{article['id']}/preview-token", headers=headers, json={"expires_in": 60}).json()

    monkeypatch.setattr(previews, "utcnow", lambda: utcnow() + timedelta(minutes=2))
    response = client.get(f"/v1/articles/{article['id']}", params={"preview": issued["token"]})

    assert response.status_code == 401


def test_a_token_no_longer_opens_its_article_once_deleted(client, session):
    headers = desk(session)
    article = create(client, headers)
    token = client.post(f"/v1/articles/{article['id']}/preview-token", headers=headers).json()["token"]
    client.delete(f"/v1/articles/{article['id']}", headers={**headers, "If-Match": '"1"'})

    assert client.get(f"/v1/articles/{article['id']}", params={"preview": token}).status_code == 404


def test_tokens_are_made_only_with_content_write(client, session):
    headers = desk(session)
    reader = desk(session, "content:read", name="reader")
    article = create(client, headers)

    assert client.post(f"/v1/articles/{article['id']}/preview-token").status_code == 401
    assert client.post(f"/v1/articles/{article['id']}/preview-token", headers=reader).status_code == 403


def test_a_token_lifetime_outside_bounds_is_422_naming_expires_in(client, session):
    headers = desk(session)
    article = create(client, headers)

    response = client.post(f"/v1/articles/{article['id']}/preview-token", headers=headers, json={"expires_in": 10**9})

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "expires_in"


def test_without_a_token_or_key_a_draft_stays_hidden(client, session):
    headers = desk(session)
    article = create(client, headers)

    assert client.get(f"/v1/articles/{article['id']}").status_code == 404
    assert client.get(f"/v1/articles/slug/{article['slug']}").status_code == 404


def _forged(article_id: str, secret: str) -> str:
    """A token made outside the server, as itsdangerous makes the server's own."""
    from itsdangerous import URLSafeTimedSerializer

    expires = int((utcnow() + timedelta(hours=1)).timestamp())
    return URLSafeTimedSerializer(secret, salt="gazette.article-preview").dumps({"article": article_id, "exp": expires})


def test_a_token_forged_with_the_old_default_secret_opens_nothing(client, session):
    headers = desk(session)
    article = create(client, headers, title="Brouillon")

    forged = client.get(
        f"/v1/articles/{article['id']}", params={"preview": _forged(article["id"], "change-me-in-production")}
    )

    assert forged.status_code == 401, forged.text
    assert "Brouillon" not in forged.text
