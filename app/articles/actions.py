"""Bodies of the editorial actions on an article: publishing, preview tokens."""

from pydantic import BaseModel, ConfigDict, Field

from app.http.schemas import Instant


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: Instant | None = Field(None, description="When to publish: a future time schedules the article.")
    expires_at: Instant | None = Field(
        None,
        description="A new expiry for the article (null: none); left out, it keeps the one it has. "
        "Republishing an expired article needs one in the future, or null.",
    )
    embargoed_until: Instant | None = Field(
        None,
        description="Publish under an embargo until this time (null: none); left out, the article keeps "
        "the one it has. Withheld from the public until then; keys with `content:embargoed` read it.",
    )


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in: int = Field(86_400, ge=60, le=604_800, description="Seconds the token is valid: 1 minute to 7 days.")
