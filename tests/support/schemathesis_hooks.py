"""Schemathesis hooks (loaded through schemathesis.toml): bodies it cannot serialise by itself,
and the two calls a run must not make as generated."""

import json
import os

import schemathesis

# The id of the key the run sends (tests/contracts/test_schemathesis.py): revoked, it would
# leave every operation after it answering 401, tested no further.
RUN_KEY_ID = os.environ.get("GAZETTE_SCHEMATHESIS_KEY_ID")
NO_SUCH_KEY = "0" * 26


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


@schemathesis.hook
def before_call(ctx, case, kwargs) -> None:
    """Every call, in every phase: `fields` is left out, since the answer it trims is described
    in words only (a subset of ArticleRead, whose required fields may be missing); and the run's
    own key is never revoked (a key that does not exist is asked for instead: a 404)."""
    if case.query:
        case.query.pop("fields", None)
    revokes = case.method.upper() == "DELETE" and case.operation.path == "/v1/keys/{key_id}"
    if revokes and RUN_KEY_ID is not None and (case.path_parameters or {}).get("key_id") == RUN_KEY_ID:
        case.path_parameters["key_id"] = NO_SUCH_KEY
