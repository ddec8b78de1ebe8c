"""People who are quoted, and the sources (outlets, agencies) that content comes from."""

from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator
from pydantic import Field as PydanticField
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.store.models.common import Timestamped
from app.store.models.taxonomy import Forbid, SlugIn


class SourceKind(StrEnum):
    publication = "publication"
    news_agency = "news_agency"
    photo_agency = "photo_agency"
    broadcaster = "broadcaster"
    official = "official"
    social = "social"


class PersonBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    current_role: str | None = Field(default=None, max_length=300)
    organization: str | None = Field(default=None, max_length=300)


class Person(PersonBase, Timestamped, table=True):
    slug: str = Field(max_length=200, unique=True)


class SourceBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    kind: SourceKind = Field(default=SourceKind.publication, sa_type=String(20))
    homepage: str | None = Field(default=None, max_length=2000)


class Source(SourceBase, Timestamped, table=True):
    slug: str = Field(max_length=200, unique=True)


# Write shapes: the bodies of POST (…Create) and PATCH (…Update, all optional) ------------

def _has_host(value: str) -> str:
    """An http(s) URL that parses and names a host ("http://[" matches the pattern, and is not one)."""
    try:
        host = urlsplit(value).hostname
    except ValueError:
        host = None
    if not host:
        raise ValueError("not a URL with a host")
    return value


Url = Annotated[str, PydanticField(max_length=2000, pattern=r"^https?://\S+$"), AfterValidator(_has_host)]


class PersonCreate(PersonBase):
    """POST /v1/people: `slug` is made from `name` unless given."""

    model_config = Forbid
    slug: SlugIn | None = None


class PersonUpdate(SQLModel):
    """PATCH /v1/people/{slug}, a JSON Merge Patch: `null` clears a field."""

    model_config = Forbid
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: SlugIn | None = None
    description: str | None = Field(default=None, max_length=5000)
    current_role: str | None = Field(default=None, max_length=300)
    organization: str | None = Field(default=None, max_length=300)


class SourceCreate(SourceBase):
    """POST /v1/sources: `kind` is one of the source kinds; `homepage` an http(s) URL."""

    model_config = Forbid
    slug: SlugIn | None = None
    homepage: Url | None = None


class SourceUpdate(SQLModel):
    """PATCH /v1/sources/{slug}, a JSON Merge Patch."""

    model_config = Forbid
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: SlugIn | None = None
    kind: SourceKind | None = None
    homepage: Url | None = None
