"""What write endpoints share: the If-Match header, and responses that carry the new ETag."""

from typing import Annotated, Any

from fastapi import Header

from app.http import etags
from app.http.openapi import problem
from app.http.responses import JSONBytes

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The ETag you last read, e.g. `"3"`: required (428 without, 412 when stale).'),
]


def written(body: dict[str, Any], *, status_code: int = 200, location: str | None = None) -> JSONBytes:
    """A created (201 + Location) or updated resource, with its version as the ETag."""
    headers = {"ETag": etags.of_version(body["version"]), "Cache-Control": "no-store"}
    if location:
        headers["Location"] = location
    return JSONBytes(body, status_code=status_code, headers=headers)


# Documented on write operations, as the problem+json bodies they are.
CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: problem("A slug or external_id given in the body is taken; `errors` names it."),
}
CONDITIONAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: problem("The change clashes with the current state (a taken slug, something still in use)."),
    412: problem("If-Match names a version that is no longer current."),
    428: problem("If-Match is missing."),
}
