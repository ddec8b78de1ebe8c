"""Query parameters parsed once into typed objects.

Every list endpoint declares a Pydantic model of the query parameters it accepts, with
extra="forbid": an unknown parameter is a 400 that names it, before any SQL is built.
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.http.problems import InvalidParameter


class ListParams(BaseModel):
    """What every list accepts: a page size, a cursor, and whether to count."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(20, ge=1, le=100, description="Page size, 1–100.")
    cursor: str | None = Field(None, max_length=500, description="`next_cursor` of the previous page.")
    count: bool = Field(False, description="Add `meta.total`, the number of matching items.")


def split_csv(value: str | None, *, field: str, allowed: frozenset[str]) -> list[str] | None:
    """`a,b,c` → ["a", "b", "c"], each checked against what the endpoint knows."""
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise InvalidParameter(field, f"unknown value {unknown[0]!r}; expected some of: {', '.join(sorted(allowed))}")
    return items


def slug_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()] or None


def lowered(value: str | None) -> str | None:
    return value.strip().lower() if value else value


class LangParam(BaseModel):
    lang: str | None = Field(
        None, pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$", description="Language code, e.g. fr or en."
    )

    @field_validator("lang")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return lowered(value)
