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
    "GET /v1/articles/{article_id}/updates/{update_id}/revisions",
    "GET /v1/articles/{article_id}/updates/{update_id}/revisions/{number}",
    "GET /v1/keys",
    "GET /v1/webhooks",
    "GET /v1/webhooks/{webhook_id}",
    "GET /v1/webhooks/{webhook_id}/deliveries",
    "GET /v1/settings/comments",
}
OPTIONAL_KEY = {
    "GET /v1/articles",
    "GET /v1/articles/{article_id}",
    "GET /v1/articles/slug/{slug}",
    "GET /v1/articles/{article_id}/corrections",
    "GET /v1/articles/{article_id}/corrections/{correction_id}",
}


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


def test_every_answer_has_a_schema_and_every_error_is_a_problem():
    """A generator types what the document types: an empty schema makes an untyped answer."""
    for name, operation in _operations():
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), name
        for code, response in responses.items():
            content = response.get("content", {})
            if code == "default" or code[0] in "45":
                assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}, (
                    name,
                    code,
                )
            elif code in ("204", "301"):
                assert content == {}, (name, code)
            else:
                assert content, (name, code)
                assert all(media["schema"] not in ({}, {"type": "object"}) for media in content.values()), (name, code)
        assert ("422" in responses) == ("requestBody" in operation), name  # a bad parameter is a 400


def test_what_only_some_answers_carry_is_optional_and_has_no_default():
    """openapi-typescript reads a default as "always there"; a trimmed answer must still pass."""
    schemas = _document()["components"]["schemas"]
    article = schemas["ArticleRead"]
    optional = {"body", "body_html", "quotes", "attributions", "corrections", "highlight", "updates"}
    assert set(article["properties"]) - set(article["required"]) == optional
    assert all("default" not in article["properties"][name] for name in optional)
    assert schemas["ListMeta"]["required"] == ["limit", "has_more", "next_cursor"]
    assert "default" not in schemas["ListMeta"]["properties"]["total"]
    assert article["properties"]["body"]["items"]["discriminator"]["propertyName"] == "type"
    response_schemas = [s for name, s in schemas.items() if name.endswith(("Read", "List")) and "properties" in s]
    assert [name for name, s in schemas.items() if s in response_schemas and not s.get("required")] == []
    parameters = {p["name"]: p for p in _document()["paths"]["/v1/articles"]["get"]["parameters"]}
    assert "ArticleRead" in parameters["fields"]["description"]
    for enum, name in (("ArticleSort", "sort"), ("ArticleStatusFilter", "status")):
        assert {"$ref": f"#/components/schemas/{enum}"} in parameters[name]["schema"]["anyOf"]
