"""Changes staged on a published article: its pending version (app/articles/pending.py)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from app.store.models.common import JSONType, utcnow


class ArticlePending(SQLModel, table=True):
    """The one pending version of an article: the write shape it will publish (ArticleCreate's
    fields but the lifecycle ones, which stay the live article's), the live version it was
    started from, and the time it is to be published at, when one was set."""

    __tablename__ = "article_pending"

    article_id: str = Field(
        sa_column=Column(String(26), ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    # The pending version's own version: its ETag, what PATCH and publish take as If-Match.
    version: int = 1
    # The live article's version it was started from: publishing it over a newer one is a 412.
    based_on_version: int
    document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # When the clock's job is to publish it (app/articles/schedule.py); None: not scheduled.
    publish_at: datetime | None = Field(default=None, index=True)
    # A correction notice to publish with it ({"kind", "text"}), when the editor gave one.
    correction: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
