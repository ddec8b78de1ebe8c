"""ETags, one format for every resource: a write answers `"3"` (its version); a public GET
answers `"3-<digest of the bytes>"`, so that the ETag of a GET is also an If-Match a write
takes, and each content-coding of the bytes gets its own tag (`"3-<digest>-br"`)."""

import hashlib

from app.http.problems import PreconditionFailed, PreconditionRequired


def of_version(version: int) -> str:
    """The ETag of a resource as a write answers it."""
    return f'"{version}"'


def expected_version(if_match: str | None, current: int) -> int:
    """The version the caller last saw: 428 without If-Match, 412 when it is not `current`.

    `*` matches whatever is current; weak tags (W/"3") are taken like strong ones, and so is
    the ETag of a public GET ("3-<digest>", see app/cache/), whose version comes first.
    """
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag you last read, so that no one's change is lost.",
            errors=[{"field": "If-Match", "message": "required"}],
        )
    tags = [tag.strip().removeprefix("W/").strip('"').split("-", 1)[0] for tag in if_match.split(",")]
    if "*" in tags or str(current) in tags:
        return current
    raise PreconditionFailed(
        f"If-Match {if_match.strip()} is stale: the current version is {current}.",
        headers={"ETag": of_version(current)},
    )


def of_body(body: bytes, version: object = None) -> str:
    """A strong validator: the digest of the exact bytes (which embed every version shown),
    after the resource's own version when it has one, so that the ETag of a GET is also
    what a PATCH takes as If-Match."""
    digest = hashlib.blake2b(body, digest_size=12).hexdigest()
    return f"{version}-{digest}" if type(version) is int else digest


def header(etag: str, encoding: str | None) -> bytes:
    # Each content-coding is its own representation, so each gets its own strong ETag.
    return f'"{etag}-{encoding}"'.encode() if encoding else f'"{etag}"'.encode()


def matches(if_none_match: bytes, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2), any content-coding of the same bytes matching."""
    value = if_none_match.strip()
    if value == b"*":
        return True
    wanted = etag.encode()
    for part in value.split(b","):
        tag = part.strip().removeprefix(b"W/").strip(b'"')
        if tag.removesuffix(b"-br").removesuffix(b"-gzip") == wanted:
            return True
    return False
