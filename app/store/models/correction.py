"""Correction notices: what an article says, after publication, was wrong, unclear or has moved on."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from app.store.models.common import new_id, utcnow


class CorrectionKind(StrEnum):
    correction = "correction"  # something it said was wrong
    clarification = "clarification"  # something it said could be misread
    update = "update"  # something happened since


class ArticleCorrection(SQLModel, table=True):
    """One notice appended to an article. Append-only: no write changes or removes a notice (a
    notice is withdrawn only by another one); the article's deletion takes them with it."""

    __tablename__ = "article_correction"
    __table_args__ = (Index("ix_article_correction_article_id_created_at_id", "article_id", "created_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    article_id: str = Field(foreign_key="article.id", max_length=26, ondelete="CASCADE")
    kind: CorrectionKind = Field(sa_type=String(16))
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
