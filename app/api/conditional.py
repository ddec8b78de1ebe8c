"""What write endpoints share: the If-Match header, and responses that carry the new ETag."""

from typing import Annotated, Any

from fastapi import Header

from app.responses import JSONBytes
from app.services.write_support import etag

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The ETag you last read, e.g. `"3"`: required (428 without, 412 when stale).'),
]


def written(body: dict[str, Any], *, status_code: int = 200, location: str | None = None) -> JSONBytes:
    """A created (201 + Location) or updated resource, with its version as the ETag."""
    headers = {"ETag": etag(body["version"]), "Cache-Control": "no-store"}
    if location:
        headers["Location"] = location
    return JSONBytes(body, status_code=status_code, headers=headers)
