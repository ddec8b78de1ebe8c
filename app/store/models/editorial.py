"""Bodies of the editorial actions: publishing, preview tokens, the site-wide comments switch."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(None, description="When to publish: a future time schedules the article.")


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in: int = Field(86_400, ge=60, le=604_800, description="Seconds the token is valid: 1 minute to 7 days.")


class CommentsSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    reason: str | None = Field(None, max_length=1000, description="Shown to readers, e.g. why comments are off.")
