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
