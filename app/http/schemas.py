"""What every request and response model is built on: the strict body base (unknown fields
refused, only text every engine stores), the time range, the read base, the slug and language
patterns, the list envelope."""

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, field_validator
from pydantic_core import PydanticCustomError

from app.store.models.common import iso, to_utc

# A slug, for every resource: lowercase ASCII words of letters and digits joined by single
# hyphens, at most SLUG_MAX_LENGTH characters (every slug column holds that many).
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX_LENGTH = 200
Slug = Annotated[str, Field(min_length=1, max_length=SLUG_MAX_LENGTH, pattern=SLUG_PATTERN)]


def _has_host(value: str) -> str:
    """An http(s) URL that parses and names a host ("http://[" matches the pattern, and is not one)."""
    try:
        host = urlsplit(value).hostname
    except ValueError:
        host = None
    if not host:
        raise ValueError("not a URL with a host")
    return value


Url = Annotated[str, Field(max_length=2000, pattern=r"^https?://\S+$"), AfterValidator(_has_host)]
# Every time the API accepts (query parameters, bodies, cursors), once in UTC, lies in
# [EARLIEST, LATEST): Python holds years 1 to 9999, PostgreSQL and SQLite more, and a day to
# spare at each end keeps a time inside Python's range in whatever time zone a database
# connection reads it back. Outside it, converting to UTC raised OverflowError (a 500).
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)
TIME_RANGE = f"between {iso(EARLIEST)} and {iso(LATEST.replace(day=30, hour=23, minute=59, second=59))} in UTC"


def bounded_time(value: datetime) -> datetime:
    """`value` in UTC (a naive one is taken to be UTC already) when it lies in the range every
    part of Gazette holds; ValueError otherwise."""
    try:
        utc = to_utc(value)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        # A ValueError that pydantic reports as it is, without its "Value error, " prefix.
        raise PydanticCustomError("time_range", "must be {range}", {"range": TIME_RANGE})
    return utc


Instant = Annotated[
    datetime, AfterValidator(bounded_time), Field(description=f"ISO 8601 (UTC when it gives no offset), {TIME_RANGE}.")
]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be blank")
    return value


# Text that must say something: not empty, and not only spaces (an article's title).
NonBlank = Annotated[str, AfterValidator(_not_blank)]
# A BCP 47 tag as the columns hold it: at most 8 characters ("fr", "en-gb", "fr-be").
Language = Annotated[str, Field(max_length=8, pattern=r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")]


class ReadModel(BaseModel):
    """A response shape. The handlers send bytes they built themselves (app/http/responses.py):
    these models only document them, in the OpenAPI document. A field that is always there has
    no default (required), and `X | None` when it may be null; one that only some answers carry
    is `sometimes(...)`."""


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def sometimes(description: str) -> Any:
    """A response field that only some answers carry (`description` says which): not required,
    and without a default in the schema, which generators would read as "always there"."""
    return Field(None, description=description, json_schema_extra=_no_default)


class NamedMembers(StrEnum):
    """The base of a StrEnum whose values are no identifiers ("-published_at"): its schema names
    the members (`x-enum-varnames`), and generated clients name theirs after them."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        schema = handler(core_schema)
        handler.resolve_ref_schema(schema)["x-enum-varnames"] = [member.name for member in cls]
        return schema


# Text every engine stores: PostgreSQL refuses NUL (U+0000) in text and JSON, and no engine can
# encode a lone surrogate (U+D800-U+DFFF alone) as UTF-8. SQLite would store the first: a copy
# that PostgreSQL could not take. The one rule, for every way text comes in: request bodies
# (app/http/middleware/body_limit.py, and the models on `Strict`) and import lines.
_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored on every engine, or None when it can."""
    if "\x00" in text:
        return "must not contain NUL characters (\\u0000)"
    if _SURROGATE.search(text) is not None:
        return "must not contain lone surrogates (\\ud800-\\udfff)"
    return None


def unstorable_fields(document: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    """Where in a parsed JSON document text (a string, or an object's key) cannot be stored,
    and why: (path, message) each, the path as pydantic locates fields."""
    if isinstance(document, str):
        why = unstorable(document)
        return [(path, why)] if why else []
    found: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(document, dict):
        for key, item in document.items():
            why = unstorable(key)
            if why:
                found.append(((*path, key.replace("\x00", "")), why))
            else:
                found += unstorable_fields(item, (*path, key))
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found += unstorable_fields(item, (*path, index))
    return found


def _storable(value: Any) -> Any:
    if isinstance(value, str) and (why := unstorable(value)):
        raise ValueError(why)
    if isinstance(value, list):
        for item in value:
            _storable(item)
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _storable(value)


class ListMeta(ReadModel):
    """A list's page: its size, and where the next one starts."""

    limit: int
    has_more: bool
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")
    total: int = sometimes("With count=true: how many items match, over every page.")
