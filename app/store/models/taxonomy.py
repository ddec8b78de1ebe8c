"""Categories (nestable, ordered for a menu), tags and authors."""

from sqlmodel import Field, SQLModel

from app.store.models.common import Timestamped


class CategoryBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    position: int = Field(default=0, ge=0, le=100_000)


class Category(CategoryBase, Timestamped, table=True):
    slug: str = Field(max_length=200, unique=True)
    parent_id: str | None = Field(default=None, foreign_key="category.id", index=True)


class TagBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)


class Tag(TagBase, Timestamped, table=True):
    slug: str = Field(max_length=200, unique=True)


class AuthorBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    bio: str | None = Field(default=None, max_length=5000)


class Author(AuthorBase, Timestamped, table=True):
    slug: str = Field(max_length=200, unique=True)
