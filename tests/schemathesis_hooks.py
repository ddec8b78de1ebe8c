"""Schemathesis hooks (loaded through schemathesis.toml): bodies it cannot serialise by itself."""

import orjson
import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value) -> bytes:  # noqa: ANN001
    """POST /v1/import: a string goes as it is; anything else as one JSON document per line."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    return b"".join(orjson.dumps(item) + b"\n" for item in items)
