"""Schemathesis hooks (loaded through schemathesis.toml): bodies it cannot serialise by itself."""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value) -> bytes:
    """POST /v1/import: a string goes as it is; anything else as one JSON document per line."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    # json, not orjson: generated values include integers past 64 bits.
    return "".join(json.dumps(item, default=str) + "\n" for item in items).encode("utf-8", "surrogatepass")
