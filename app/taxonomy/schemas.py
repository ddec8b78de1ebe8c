"""The bodies of writes to categories, tags, authors, people and sources (POST: …Create;
PATCH: …Update, a JSON Merge Patch, all optional), references to people and sources as
article and quote writes give them (a slug, or a name to create one), and what reads and
writes of the five answer (…Read, …List)."""

from datetime import datetime

from pydantic import Field
from sqlmodel import Field as ColumnField
from sqlmodel import SQLModel
from sqlmodel.main import SQLModelConfig

from app.http.schemas import ListMeta, ReadModel, Slug, Strict, Url, sometimes
from app.store.models.people import PersonBase, SourceBase, SourceKind
from app.store.models.taxonomy import AuthorBase, CategoryBase, TagBase


class NamedRef(Strict):
    """A person or source not known yet, created on the fly from its name."""

    name: str = Field(min_length=1, max_length=200)
    slug: Slug | None = None
    kind: SourceKind | None = None
    description: str | None = Field(None, max_length=5000)
    current_role: str | None = Field(None, max_length=300)
    organization: str | None = Field(None, max_length=300)
    homepage: Url | None = None


RefIn = Slug | NamedRef


Forbid = SQLModelConfig(extra="forbid")


class CategoryCreate(CategoryBase):
    """POST /v1/categories: `slug` is made from `name` unless given; `parent` is a slug."""

    model_config = Forbid
    slug: Slug | None = None
    parent: Slug | None = None


class CategoryUpdate(SQLModel):
    """PATCH /v1/categories/{slug}, a JSON Merge Patch: `null` clears a field."""

    model_config = Forbid
    name: str | None = ColumnField(default=None, min_length=1, max_length=120)
    slug: Slug | None = None
    description: str | None = ColumnField(default=None, max_length=2000)
    parent: Slug | None = None
    position: int | None = ColumnField(default=None, ge=0, le=100_000)


class TagCreate(TagBase):
    """POST /v1/tags."""

    model_config = Forbid
    slug: Slug | None = None


class TagUpdate(SQLModel):
    """PATCH /v1/tags/{slug}, a JSON Merge Patch."""

    model_config = Forbid
    name: str | None = ColumnField(default=None, min_length=1, max_length=120)
    slug: Slug | None = None


class AuthorCreate(AuthorBase):
    """POST /v1/authors."""

    model_config = Forbid
    slug: Slug | None = None


class AuthorUpdate(SQLModel):
    """PATCH /v1/authors/{slug}, a JSON Merge Patch."""

    model_config = Forbid
    name: str | None = ColumnField(default=None, min_length=1, max_length=200)
    slug: Slug | None = None
    bio: str | None = ColumnField(default=None, max_length=5000)


class PersonCreate(PersonBase):
    """POST /v1/people: `slug` is made from `name` unless given."""

    model_config = Forbid
    slug: Slug | None = None


class PersonUpdate(SQLModel):
    """PATCH /v1/people/{slug}, a JSON Merge Patch: `null` clears a field."""

    model_config = Forbid
    name: str | None = ColumnField(default=None, min_length=1, max_length=200)
    slug: Slug | None = None
    description: str | None = ColumnField(default=None, max_length=5000)
    current_role: str | None = ColumnField(default=None, max_length=300)
    organization: str | None = ColumnField(default=None, max_length=300)


class SourceCreate(SourceBase):
    """POST /v1/sources: `kind` is one of the source kinds; `homepage` an http(s) URL."""

    model_config = Forbid
    slug: Slug | None = None
    homepage: Url | None = None


class SourceUpdate(SQLModel):
    """PATCH /v1/sources/{slug}, a JSON Merge Patch."""

    model_config = Forbid
    name: str | None = ColumnField(default=None, min_length=1, max_length=200)
    slug: Slug | None = None
    kind: SourceKind | None = None
    homepage: Url | None = None


# Read shapes: what GET and the writes answer --------------------------------------------


class CategoryRead(ReadModel):
    id: str
    slug: str
    name: str
    description: str | None
    parent: str | None = Field(description="The parent category's slug; null at the top of the menu.")
    position: int
    updated_at: datetime
    version: int


class CategoryNode(CategoryRead):
    """A category in the menu."""

    children: list["CategoryNode"] = sometimes("With tree=true: its subcategories, in menu order.")


class CategoryList(ReadModel):
    data: list[CategoryNode]
    meta: ListMeta


class _Slugged(ReadModel):
    id: str
    slug: str
    name: str


class _Dated(ReadModel):
    created_at: datetime
    updated_at: datetime
    version: int


class PersonRead(_Dated, _Slugged):
    description: str | None
    current_role: str | None
    organization: str | None


class SourceRead(_Dated, _Slugged):
    kind: SourceKind
    homepage: str | None


class TagRead(_Dated, _Slugged):
    pass


class AuthorRead(_Dated, _Slugged):
    bio: str | None


class PersonList(ReadModel):
    data: list[PersonRead]
    meta: ListMeta


class SourceList(ReadModel):
    data: list[SourceRead]
    meta: ListMeta


class TagList(ReadModel):
    data: list[TagRead]
    meta: ListMeta


class AuthorList(ReadModel):
    data: list[AuthorRead]
    meta: ListMeta
