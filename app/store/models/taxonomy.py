"""Categories (nestable, ordered for a menu), tags and authors."""

from typing import Annotated

from pydantic import ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from app.store.models.common import Timestamped


class CategoryBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    position: int = Field(default=0, ge=0, le=100_000)


class Category(CategoryBase, Timestamped, table=True):
    slug: str = Field(max_length=120, unique=True)
    parent_id: str | None = Field(default=None, foreign_key="category.id", index=True)


class TagBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)


class Tag(TagBase, Timestamped, table=True):
    slug: str = Field(max_length=120, unique=True)


class AuthorBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    bio: str | None = Field(default=None, max_length=5000)


class Author(AuthorBase, Timestamped, table=True):
    slug: str = Field(max_length=200, unique=True)


# Write shapes: the bodies of POST (…Create) and PATCH (…Update, all optional) ------------

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# A slug as a client sends it: lower-case ASCII words joined by hyphens.
SlugIn = Annotated[str, PydanticField(min_length=1, max_length=120, pattern=SLUG_PATTERN)]
Forbid = ConfigDict(extra="forbid")


class CategoryCreate(CategoryBase):
    """POST /v1/categories: `slug` is made from `name` unless given; `parent` is a slug."""

    model_config = Forbid
    slug: SlugIn | None = None
    parent: SlugIn | None = None


class CategoryUpdate(SQLModel):
    """PATCH /v1/categories/{slug}, a JSON Merge Patch: `null` clears a field."""

    model_config = Forbid
    name: str | None = Field(default=None, min_length=1, max_length=120)
    slug: SlugIn | None = None
    description: str | None = Field(default=None, max_length=2000)
    parent: SlugIn | None = None
    position: int | None = Field(default=None, ge=0, le=100_000)


class TagCreate(TagBase):
    """POST /v1/tags."""

    model_config = Forbid
    slug: SlugIn | None = None


class TagUpdate(SQLModel):
    """PATCH /v1/tags/{slug}, a JSON Merge Patch."""

    model_config = Forbid
    name: str | None = Field(default=None, min_length=1, max_length=120)
    slug: SlugIn | None = None


class AuthorCreate(AuthorBase):
    """POST /v1/authors."""

    model_config = Forbid
    slug: SlugIn | None = None


class AuthorUpdate(SQLModel):
    """PATCH /v1/authors/{slug}, a JSON Merge Patch."""

    model_config = Forbid
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: SlugIn | None = None
    bio: str | None = Field(default=None, max_length=5000)
