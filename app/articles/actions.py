"""Bodies of the editorial actions on an article: publishing, preview tokens."""

from pydantic import BaseModel, ConfigDict, Field

from app.http.schemas import Instant


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: Instant | None = Field(None, description="When to publish: a future time schedules the article.")


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in: int = Field(86_400, ge=60, le=604_800, description="Seconds the token is valid: 1 minute to 7 days.")
