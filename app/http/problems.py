"""The application's errors and the one problem+json (RFC 9457) renderer."""

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.responses import Response

PROBLEM_TYPE_BASE = "https://gazette.dev/problems/"


class AppError(Exception):
    """Base of every error the API answers with; carries its HTTP status."""

    status, title, slug = 400, "Bad request", "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extensions = extensions  # more members of the problem (RFC 9457's extension members)


class BadRequest(AppError):
    """A parameter or body that cannot be understood."""


class InvalidParameter(AppError):
    """A query parameter with a value outside what the endpoint accepts."""

    status, title, slug = 400, "Invalid parameter", "invalid-parameter"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}])


class Unauthorized(AppError):
    """No API key, or one that is not known."""

    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(AppError):
    """A known key that lacks the scope the endpoint needs."""

    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    """No such resource, or not visible to this caller."""

    status, title, slug = 404, "Not found", "not-found"


class Gone(NotFound):
    """The resource was there and is no longer, for good as far as this caller knows (an expired
    article); caught wherever a NotFound is."""

    status, title, slug = 410, "Gone", "gone"


class MethodNotAllowed(AppError):
    """The path exists but not with this method."""

    status, title, slug = 405, "Method not allowed", "method-not-allowed"


class Conflict(AppError):
    """The change clashes with the current state (a taken slug, a category that holds articles)."""

    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(AppError):
    """If-Match names a version that is no longer current."""

    status, title, slug = 412, "Precondition failed", "precondition-failed"


class PayloadTooLarge(AppError):
    """The request body is larger than the server accepts."""

    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(AppError):
    """A body in a format the endpoint does not take."""

    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class ValidationFailed(AppError):
    """A well-formed body whose fields break the resource's rules."""

    status, title, slug = 422, "Validation failed", "validation-failed"


class PreconditionRequired(AppError):
    """A conditional write sent without If-Match."""

    status, title, slug = 428, "Precondition required", "precondition-required"


class TooManyRequests(AppError):
    """The caller went past its rate limit."""

    status, title, slug = 429, "Too many requests", "too-many-requests"


class ServiceUnavailable(AppError):
    """A dependency (the database) does not answer."""

    status, title, slug = 503, "Service unavailable", "service-unavailable"


# The tags of discriminated unions (the body blocks' types): app.wiring adds them. In a
# location a tag stands between an item's index and its field, and names no field itself.
UNION_TAGS: set[str] = set()
_LABELS = ("function-", "tagged-union", "constrained-", "lax-or-strict", "json-or-python", "union[")


def field_path(loc: Sequence[Any]) -> str:
    """A pydantic error location as the API names fields: ("quotes", 0, "text") → "quotes[0].text".

    Pydantic puts union labels in locations that name no field: validator names
    ("function-after[…]"), union members ("NamedRef", "constrained-str") and the `type` tag of
    a body block (("body", 0, "paragraph", "text") is "body[0].text"). They are left out.
    """
    out = ""
    for index, part in enumerate(loc):
        label = str(part)
        if isinstance(part, int):
            out += f"[{part}]"
        elif (
            label.startswith(_LABELS)
            or label[:1].isupper()
            or label in ("str", "int", "float", "bool")
            or (label in UNION_TAGS and index and isinstance(loc[index - 1], int) and index < len(loc) - 1)
        ):
            continue
        else:
            out += ("." if out else "") + label
    return out


_LOCATIONS = ("query", "path", "header", "body", "cookie")


def field_errors(errors: Sequence[Any], *, in_body: bool, located: bool = True) -> list[dict[str, str]]:
    """Pydantic's errors as the API reports them, `{"field", "message"}` each: the one mapping
    for query parameters, request bodies and merged PATCH documents alike. A location's
    leading "query"/"body"… (FastAPI's, when `located`; a document validated on its own has
    none, and its own `body` field is a field) is dropped ("limit", "quotes[0].text"); an
    unknown name is an "unknown parameter" (in the query) or an "unknown field" (in a body)."""
    found = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        parts = loc[1:] if located and loc and loc[0] in _LOCATIONS else loc
        if error.get("type") == "json_invalid":  # its location holds a character offset, not a field
            parts = ()
        field = field_path(parts) or (str(loc[0]) if loc else "body" if in_body else "request")
        message = error.get("msg", "invalid")
        if error.get("type") == "extra_forbidden":
            message = "unknown field" if in_body else "unknown parameter"
        found.append({"field": field, "message": message})
    return found


def summary(errors: Sequence[dict[str, str]]) -> str:
    """The first few field errors in a sentence, for a problem's `detail`."""
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])


def problem_bytes(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, str]] | None = None,
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> bytes:
    """A problem document's bytes (also for answers sent below the app: app/http/protocol.py)."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    for name, value in (extensions or {}).items():
        body.setdefault(name, value)
    return orjson.dumps(body)


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response:
    return Response(
        problem_bytes(status, title, detail, slug=slug, errors=errors, instance=instance, extensions=extensions),
        status_code=status,
        media_type="application/problem+json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def render(error: AppError, instance: str | None = None) -> Response:
    return problem_response(
        error.status,
        error.title,
        error.detail,
        slug=error.slug,
        errors=error.errors,
        headers=error.headers,
        instance=instance,
        extensions=error.extensions,
    )


POOL_BUSY = "Every database connection is busy; nothing was written."


def unavailable(instance: str, detail: str) -> Response:
    """The 503 of a node that cannot reach its database now (a connection lost, the database
    busy, every pooled connection taken): retry in a second."""
    return problem_response(
        503, "Service unavailable", f"{detail} Try again.", headers={"Retry-After": "1"}, instance=instance
    )
