"""Every write endpoint against every scope: 401 without a valid key, 403 without its scope.

The routes come from the app itself, so a new write endpoint is covered the day it is added,
and this test fails until its required scope is declared in REQUIRED below.
"""

import re
from functools import lru_cache

import pytest
from fastapi import routing

from tests.support.factories import bearer, make_key

WRITE, PUBLISH, ADMIN = "content:write", "content:publish", "admin"
SCOPES = ("content:read", WRITE, PUBLISH, ADMIN)

# "METHOD /path" (path parameters written {}) → the scope a key needs.
REQUIRED = {
    "POST /v1/articles": WRITE,
    "PATCH /v1/articles/{}": WRITE,
    "DELETE /v1/articles/{}": WRITE,
    "POST /v1/articles/{}/publish": PUBLISH,
    "POST /v1/articles/{}/unpublish": PUBLISH,
    "POST /v1/articles/{}/restore": WRITE,
    "POST /v1/articles/{}/revisions/{}/restore": WRITE,
    "POST /v1/articles/{}/preview-token": WRITE,
    "POST /v1/articles/{}/corrections": WRITE,
    "POST /v1/articles/{}/pending": WRITE,
    "PATCH /v1/articles/{}/pending": WRITE,
    "DELETE /v1/articles/{}/pending": WRITE,
    "POST /v1/articles/{}/pending/publish": PUBLISH,
    "POST /v1/articles/{}/updates": WRITE,
    "PATCH /v1/articles/{}/updates/{}": WRITE,
    "DELETE /v1/articles/{}/updates/{}": WRITE,
    "POST /v1/articles/{}/updates/{}/revisions/{}/restore": WRITE,
    "POST /v1/categories": WRITE,
    "PATCH /v1/categories/{}": WRITE,
    "DELETE /v1/categories/{}": WRITE,
    "POST /v1/quotes": WRITE,
    "PATCH /v1/quotes/{}": WRITE,
    "DELETE /v1/quotes/{}": WRITE,
    "POST /v1/people": WRITE,
    "PATCH /v1/people/{}": WRITE,
    "DELETE /v1/people/{}": WRITE,
    "POST /v1/sources": WRITE,
    "PATCH /v1/sources/{}": WRITE,
    "DELETE /v1/sources/{}": WRITE,
    "POST /v1/tags": WRITE,
    "PATCH /v1/tags/{}": WRITE,
    "DELETE /v1/tags/{}": WRITE,
    "POST /v1/authors": WRITE,
    "PATCH /v1/authors/{}": WRITE,
    "DELETE /v1/authors/{}": WRITE,
    "POST /v1/import": WRITE,
    "PUT /v1/settings/comments": ADMIN,
    "POST /v1/keys": ADMIN,
    "DELETE /v1/keys/{}": ADMIN,
    "POST /v1/webhooks": ADMIN,
    "PATCH /v1/webhooks/{}": ADMIN,
    "DELETE /v1/webhooks/{}": ADMIN,
    "POST /v1/webhooks/{}/rotate-secret": ADMIN,
    "POST /v1/webhooks/{}/deliveries/{}/retry": ADMIN,
}


@lru_cache(maxsize=1)
def write_routes() -> list[tuple[str, str]]:
    """(method, path) of every POST, PATCH, PUT and DELETE route the app serves."""
    from app.main import create_app

    app = create_app()
    # FastAPI ≥ 0.130 keeps included routers nested; iter_route_contexts flattens them.
    found = routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts") else app.routes
    return sorted(
        {
            (method, route.path)
            for route in found
            for method in (route.methods or set()) & {"POST", "PATCH", "PUT", "DELETE"}
        }
    )


def _key(method: str, path: str) -> str:
    return f"{method} {re.sub(r'{[^}]+}', '{}', path)}"


def _call(client, method: str, path: str, headers: dict[str, str] | None = None):
    url = re.sub(r"{[^}]+}", "no-such-thing", path)
    return client.request(method, url, json={}, headers=headers or {})


ROUTES = [pytest.param(m, p, id=_key(m, p)) for m, p in write_routes()]


def test_every_write_route_declares_its_scope():
    undeclared = sorted(_key(m, p) for m, p in write_routes() if _key(m, p) not in REQUIRED)

    assert not undeclared, f"declare the scope of these write routes in REQUIRED: {undeclared}"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_write_route_answers_401_without_a_valid_key(client, method, path):
    for headers in (None, bearer("gz_" + "x" * 43), {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = _call(client, method, path, headers)

        assert response.status_code == 401, (headers, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_write_route_needs_its_scope(client, session, method, path):
    required = REQUIRED.get(_key(method, path))
    if required is None:
        pytest.skip("scope not declared (see test_every_write_route_declares_its_scope)")
    for scope in SCOPES:
        response = _call(client, method, path, bearer(make_key(session, scope, name=scope)))

        if scope in (required, ADMIN):  # admin holds every scope
            assert response.status_code not in (401, 403), (scope, response.text)
            assert response.status_code < 500, (scope, response.text)
        else:
            assert response.status_code == 403, (scope, response.text)
