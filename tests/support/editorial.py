"""Helpers for the editorial tests: a desk key, and articles written through the API."""

from typing import Any

import httpx
from sqlmodel import Session

from tests.support.factories import bearer, make_key

DESK = ("content:read", "content:write", "content:publish")


def desk(session: Session, *scopes: str, name: str = "desk") -> dict[str, str]:
    """Authorization headers of a new key (by default one that reads, writes and publishes)."""
    return bearer(make_key(session, *(scopes or DESK), name=name))


def create(client: httpx.Client, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """An article created through POST /v1/articles (a draft unless status says otherwise)."""
    body = {"title": "Un article", "body": [{"type": "paragraph", "text": "Du texte."}], **fields}
    response = client.post("/v1/articles", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def patch(
    client: httpx.Client,
    headers: dict[str, str],
    article: dict[str, Any],
    changes: dict[str, Any],
    *,
    if_match: str | None = None,
) -> httpx.Response:
    """PATCH as JSON Merge Patch, If-Match the version `article` shows unless told otherwise."""
    return client.patch(
        f"/v1/articles/{article['id']}",
        json=changes,
        headers={
            **headers,
            "Content-Type": "application/merge-patch+json",
            "If-Match": if_match if if_match is not None else f'"{article["version"]}"',
        },
    )


def publish(client: httpx.Client, headers: dict[str, str], article_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/v1/articles/{article_id}/publish", json=body or None, headers=headers)


def feed_tail(client: httpx.Client) -> str:
    """The change feed's cursor after everything recorded so far: pass it as `since` to read
    what a write records next."""
    meta = client.get("/v1/changes", params={"limit": 1000}).json()["meta"]
    while meta["has_more"]:
        meta = client.get("/v1/changes", params={"limit": 1000, "since": meta["next_cursor"]}).json()["meta"]
    return str(meta["next_cursor"])


def linked_article(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    """A published article that shows one of every linked thing: a subcategory (Europe, under
    Monde), a tag, an author, and a quote of a person created inline citing a source, shown in
    its body."""
    for path, data in (
        ("/v1/categories", {"name": "Monde"}),
        ("/v1/categories", {"name": "Europe", "parent": "monde"}),
        ("/v1/tags", {"name": "Climat"}),
        ("/v1/authors", {"name": "Ana Lima"}),
        ("/v1/sources", {"name": "Le Soir"}),
    ):
        assert client.post(path, json=data, headers=headers).status_code == 201
    article = client.post(
        "/v1/articles",
        headers=headers,
        json={
            "title": "Vote à Bruxelles",
            "status": "published",
            "category": "europe",
            "tags": ["climat"],
            "authors": ["ana-lima"],
            "quotes": [{"text": "Un vote serré.", "speaker": {"name": "Marc Dubois"}, "source": "le-soir"}],
            "body": [{"type": "quote", "quote": 0}],
        },
    )
    assert article.status_code == 201, article.text
    return dict(article.json())
