"""Standalone quotes: their write shapes, POST /v1/quotes (QuoteCreate) and PATCH
(QuoteUpdate), and what reads and writes answer (QuoteRead, QuoteList)."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.articles.schemas import Ref
from app.http.schemas import Language, ListMeta, ReadModel
from app.taxonomy.schemas import RefIn


class QuoteCreate(BaseModel):
    """A quote, standing alone or attached to an article (by id). `speaker` and `source` are
    slugs, or objects with a `name` for someone not known yet (found by that name, never twice)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    speaker: RefIn
    speaker_role: str | None = Field(None, max_length=300)
    article: str | None = Field(None, min_length=1, max_length=26, description="Article id.")
    source: RefIn | None = None
    language: Language | None = Field(None, description="Defaults to the article's language, else fr.")
    said_at: date | None = None
    external_id: str | None = Field(None, min_length=1, max_length=200)


class QuoteUpdate(BaseModel):
    """PATCH /v1/quotes/{id}, a JSON Merge Patch: `null` clears a field."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, min_length=1, max_length=10_000)
    speaker: RefIn | None = None
    speaker_role: str | None = Field(None, max_length=300)
    article: str | None = Field(None, min_length=1, max_length=26)
    source: RefIn | None = None
    language: Language | None = None
    said_at: date | None = None
    external_id: str | None = Field(None, min_length=1, max_length=200)


# Read shapes ------------------------------------------------------------------------------


class Speaker(ReadModel):
    slug: str
    name: str
    current_role: str | None
    organization: str | None


class QuotedIn(ReadModel):
    """The article a quote belongs to."""

    id: str
    slug: str
    title: str
    expires_at: datetime | None = Field(
        description="When the article expires: the quote leaves the public with it (no cache keeps it longer)."
    )


class QuoteRead(ReadModel):
    """A quote, public when it stands alone or its article is."""

    id: str
    text: str
    speaker: Speaker
    speaker_role: str | None
    language: str
    said_at: date | None
    source: Ref | None
    article: QuotedIn | None
    created_at: datetime
    updated_at: datetime
    version: int


class QuoteList(ReadModel):
    data: list[QuoteRead]
    meta: ListMeta
