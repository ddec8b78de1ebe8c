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
