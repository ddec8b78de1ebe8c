"""People who are quoted, and the sources (outlets, agencies) that content comes from."""

from enum import StrEnum

from sqlalchemy import String, true
from sqlmodel import Field, SQLModel

from app.store.models.common import Timestamped


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
    # Public: made through its own endpoint, the import or the demo, or named by something
    # public. One a draft creates inline stays off every public path until then (taxonomy/refs.py).
    listed: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class SourceBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    kind: SourceKind = Field(default=SourceKind.publication, sa_type=String(20))
    homepage: str | None = Field(default=None, max_length=2000)


class Source(SourceBase, Timestamped, table=True):
    slug: str = Field(max_length=200, unique=True)
    listed: bool = Field(default=True, sa_column_kwargs={"server_default": true()})  # as Person.listed
