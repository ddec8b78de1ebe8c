"""Article revisions: every version of an article, with who made it and what it held."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.store.models.common import JSONType, utcnow


class ArticleRevision(SQLModel, table=True):
    """One version of an article: its write shape (ArticleCreate's fields) and the key that made it."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(foreign_key="article.id", max_length=26, ondelete="CASCADE")
    # The article's version this revision holds; unique per article, so concurrent writers
    # (each holding the version it bumped to) can never take the same number.
    number: int
    version: int
    created_at: datetime = Field(default_factory=utcnow)
    key_id: str | None = Field(default=None, max_length=26)
    key_name: str | None = Field(default=None, max_length=120)
    # The lifecycle state this version left the article in (draft … published, deleted).
    status: str = Field(max_length=16)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class ArticleUpdateRevision(SQLModel, table=True):
    """One version of a live blog's update: its write shape (UpdateCreate's fields) and the key
    that made it. Gone with the update."""

    __tablename__ = "article_update_revision"
    __table_args__ = (UniqueConstraint("update_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    update_id: str = Field(foreign_key="article_update.id", max_length=26, ondelete="CASCADE")
    number: int  # the update's version this revision holds
    created_at: datetime = Field(default_factory=utcnow)
    key_id: str | None = Field(default=None, max_length=26)
    key_name: str | None = Field(default=None, max_length=120)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
