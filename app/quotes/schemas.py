"""Write shapes of standalone quotes: POST /v1/quotes (QuoteCreate) and PATCH (QuoteUpdate)."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.http.schemas import Language
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
