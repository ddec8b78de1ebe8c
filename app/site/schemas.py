"""The body of the site-wide comments switch."""

from pydantic import BaseModel, ConfigDict, Field


class CommentsSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    reason: str | None = Field(None, max_length=1000, description="Shown to readers, e.g. why comments are off.")
