"""HTTP caching pieces: validators, conditional requests, Accept-Encoding, compression."""

import gzip
import math
from datetime import datetime
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache

import brotli

# Bodies smaller than this go out as they are: compressing them saves less than it costs.
COMPRESS_MIN = 1024
VARY = b"Accept-Encoding, Authorization"
# A 404 is kept only briefly by browsers and CDNs (a purge reaches CDNs, not browsers).
NOT_FOUND_MAX_AGE = 10


@lru_cache(maxsize=4096)
def http_date(timestamp: float) -> bytes:
    return formatdate(timestamp, usegmt=True).encode()


def parse_http_date(value: bytes) -> float | None:
    try:
        parsed = parsedate_to_datetime(value.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp() if parsed.tzinfo else None


def parse_iso(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def last_modified(modified: float) -> tuple[float, bytes, bytes]:
    """Last-Modified for a representation changed at `modified` (a float), worked out once:
    (from when, the header from then on, the header until then).

    HTTP dates have whole seconds. Promising the next whole second is safe only once it has
    passed; until then the previous one is sent, which never validates (see
    `not_modified_since`), so two versions within one second are never mistaken for each other."""
    ceiling = math.ceil(modified)
    return ceiling, http_date(ceiling), http_date(math.floor(modified))


def not_modified_since(modified: float, if_modified_since: bytes) -> bool:
    since = parse_http_date(if_modified_since)
    return since is not None and modified <= since


def choose_encoding(accept_encoding: bytes | None) -> str | None:
    """br, else gzip, when the client accepts it (q > 0), else None (identity)."""
    if not accept_encoding:
        return None
    return _choose(accept_encoding) if len(accept_encoding) <= 200 else _choose.__wrapped__(accept_encoding)


@lru_cache(maxsize=256)  # clients send a handful of distinct values, again and again
def _choose(accept_encoding: bytes) -> str | None:
    accepted: dict[str, float] = {}
    for item in accept_encoding.decode("latin-1").lower().split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        accepted[name.strip()] = q
    for encoding in ("br", "gzip"):
        if accepted.get(encoding, accepted.get("*", 0.0)) > 0:
            return encoding
    return None


def compressible(content_type: bytes) -> bool:
    kind = content_type.split(b";", 1)[0].strip().lower()
    return kind.startswith(b"text/") or kind.endswith((b"json", b"xml")) or b"ndjson" in kind


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(body, quality=5)
    return gzip.compress(body, compresslevel=6, mtime=0)


def cache_control_until(max_age: int, seconds_left: float) -> bytes:
    """Cache-Control of a response showing an article that expires in `seconds_left`: no cache
    may keep it past then (so no stale-while-revalidate or stale-if-error either)."""
    age = max(0, min(max_age, int(seconds_left)))
    return f"public, max-age={age}, s-maxage={age}".encode()


def cache_control(status: int, *, max_age: int, stale_while_revalidate: int, stale_if_error: int) -> bytes:
    if status == 404:
        return f"public, max-age={min(max_age, NOT_FOUND_MAX_AGE)}".encode()
    return (
        f"public, max-age={max_age}, stale-while-revalidate={stale_while_revalidate}, stale-if-error={stale_if_error}"
    ).encode()
