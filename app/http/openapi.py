"""The OpenAPI document, with every error documented as the problem+json it really is, and the
components that routes name only by reference."""

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

PROBLEM = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem. `errors` names each field at fault.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_REF = {"$ref": "#/components/schemas/Problem"}
_WHY = {
    "400": "A parameter or body that cannot be understood; `errors` names it.",
    "401": "No API key, or one that is not valid.",
    "403": "The key lacks the scope this operation needs.",
    "404": "Not found, or not visible to this caller.",
    "422": "The body breaks the resource's rules; `errors` names each field.",
    "default": "Any other error, as a problem.",
}


def problem(description: str) -> dict[str, Any]:
    """A documented error response: `description`, as a problem+json body."""
    return {"description": description, "content": {PROBLEM: {"schema": _REF}}}


# Reads by slug: a slug a resource had answers with a redirect to the current one.
MOVED_RESPONSES: dict[int | str, dict[str, Any]] = {
    301: {
        "description": "An old slug: Location names the current one.",
        "headers": {"Location": {"description": "The same path with the current slug.", "schema": {"type": "string"}}},
    }
}


def ref(name: str) -> dict[str, str]:
    """A reference to the component schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def _components_of(models: Sequence[type[BaseModel]]) -> dict[str, dict[str, Any]]:
    """The models' response schemas, and those of the models they hold, as components."""
    if not models:
        return {}
    _, found = models_json_schema([(m, "serialization") for m in models], ref_template="#/components/schemas/{model}")
    return found.get("$defs", {})


def _add(schemas: dict[str, Any], more: Mapping[str, dict[str, Any]]) -> None:
    for name, schema in more.items():
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two schemas for the component {name!r}")


def _is_error(code: str) -> bool:
    return code == "default" or code[:1] in ("4", "5")


def install(
    app: FastAPI, *, models: Sequence[type[BaseModel]] = (), schemas: Mapping[str, dict[str, Any]] | None = None
) -> None:
    """Replace app.openapi with a builder that documents problems on every operation, and adds
    components the routes name by reference only: `models` (response shapes that no route
    declares as a model) and `schemas` (JSON Schemas of their own, such as IPTC's ninjs)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        _add(components, {"Problem": PROBLEM_SCHEMA, **_components_of(models), **(schemas or {})})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path_item in doc.get("paths", {}).values():
            for method, operation in path_item.items():
                if method in ("get", "post", "put", "patch", "delete", "head"):
                    _document_problems(operation)
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]  # FastAPI's documented way to replace the schema


def _document_problems(operation: dict[str, Any]) -> None:
    """Every error an operation may answer, as the problem+json it is. A 422 only where a body
    is taken: a bad parameter is a 400 (app/main.py), though FastAPI documents a 422."""
    responses = operation.setdefault("responses", {})
    codes = ["400", "404", "default"]
    if operation.get("security"):
        codes += ["401", "403"]
    if "requestBody" in operation:
        codes.append("422")
    else:
        responses.pop("422", None)
    for code in codes:
        if code == "422" or code not in responses:
            responses[code] = problem(_WHY[code])
    for code, response in responses.items():
        if _is_error(code):
            response["content"] = {PROBLEM: {"schema": _REF}}
