"""The OpenAPI document as typed clients read it: stable operation ids.

What a generator makes of the document is tested end to end in test_generated_client.py; this
file pins the rules that keep it so, each with the route or field that breaks it.
"""

import re
from functools import lru_cache
from typing import Any

from fastapi import routing

METHODS = ("get", "put", "post", "patch", "delete")


@lru_cache(maxsize=1)
def _app():
    from app.main import create_app

    return create_app()


def _document() -> dict[str, Any]:
    return _app().openapi()


def _operations():
    for path, item in _document()["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def test_every_operation_has_an_explicit_snake_case_id():
    """Ids name the generated functions (`list_articles`): each is written on its route, so
    renaming a handler or moving a router changes nothing a client calls."""
    routes = [r for r in routing.iter_route_contexts(_app().routes) if getattr(r, "include_in_schema", False)]
    unnamed = sorted(f"{sorted(r.methods)} {r.path}" for r in routes if not r.operation_id)
    assert unnamed == []
    ids = [operation["operationId"] for _, operation in _operations()]
    assert len(ids) == len(set(ids)) == len(routes)
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(_[a-z]+)*", i)] == []
    assert {"list_articles", "get_article_by_slug", "get_article", "list_changes"} <= set(ids)


# Reads that need a key; every other GET is public.
KEYED_READS = {
    "GET /v1/articles/{article_id}/revisions",
    "GET /v1/articles/{article_id}/revisions/{number}",
    "GET /v1/keys",
    "GET /v1/webhooks",
    "GET /v1/webhooks/{webhook_id}",
    "GET /v1/webhooks/{webhook_id}/deliveries",
    "GET /v1/settings/comments",
}
OPTIONAL_KEY = {"GET /v1/articles", "GET /v1/articles/{article_id}", "GET /v1/articles/slug/{slug}"}


def test_public_reads_declare_no_security_and_the_rest_a_bearer_key():
    """A generator puts an operation with any `security` on its authenticated client only: a
    public read must declare none, even where a key is taken when sent."""
    for name, operation in _operations():
        keyed = not name.startswith("GET ") or name in KEYED_READS
        assert operation.get("security") == ([{"HTTPBearer": []}] if keyed else None), name
        if keyed or name in OPTIONAL_KEY:
            assert {"401", "403"} <= set(operation["responses"]), name
        if name in OPTIONAL_KEY:
            assert "content:read" in operation["description"], name
            assert "authorization" not in {p["name"].lower() for p in operation.get("parameters", [])}, name
