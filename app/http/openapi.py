"""The OpenAPI document, with every error documented as the problem+json it really is."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

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


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _REF}}}


def install(app: FastAPI) -> None:
    """Replace app.openapi with a builder that documents problems on every operation."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for path_item in doc.get("paths", {}).values():
            for method, operation in path_item.items():
                if method not in ("get", "post", "put", "patch", "delete", "head"):
                    continue
                responses = operation.setdefault("responses", {})
                codes = ["400", "404", "default"]
                if operation.get("security"):
                    codes += ["401", "403"]
                if "422" in responses or "requestBody" in operation:
                    codes.append("422")
                for code in codes:
                    if code == "422" or code not in responses:
                        responses[code] = _problem(_WHY[code])
                    else:
                        responses[code].setdefault("content", {PROBLEM: {"schema": _REF}})
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]  # FastAPI's documented way to replace the schema
