"""The stored public representation of each published article (app/articles/documents.py)."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Text, text
from sqlmodel import Field, SQLModel


class ArticleDocument(SQLModel, table=True):
    """The JSON bytes GET /v1/articles/{id} answers with, built in the transaction that
    changed the article. Only public articles have one. `stale` marks a document that a
    change elsewhere (a person renamed, a category moved) made old; it is rebuilt by the
    background job, and reads build the article live meanwhile."""

    __tablename__ = "article_document"
    __table_args__ = (
        Index("ix_article_document_stale", "article_id", sqlite_where=text("stale"), postgresql_where=text("stale")),
    )

    article_id: str = Field(
        sa_column=Column(String(26), ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    )
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The article's own `comments` member as it stands in `body`: the site-wide switch,
    # read with the document, replaces it when it overrides every article.
    comments: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # What the response cache would otherwise parse the body for: the surrogate keys of the
    # resources it shows (space-separated), the newest updated_at among them, the version.
    keys: str = Field(sa_column=Column(Text, nullable=False))
    newest: str | None = Field(default=None, max_length=20)
    version: int
    # The article's expiry (ISO, as `newest`): the document is never served from then on.
    expires: str | None = Field(default=None, max_length=20)
    stale: bool = Field(default=False)
    built_at: datetime
