"""The site-wide comments switch: the body that sets it, and what it reads as."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.http.schemas import ReadModel


class CommentsSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    reason: str | None = Field(None, max_length=1000, description="Shown to readers, e.g. why comments are off.")


class CommentsSetting(ReadModel):
    """The switch over every article's comments: off here, they are off everywhere."""

    enabled: bool
    reason: str | None
    updated_at: datetime | None = Field(description="When it was last set; null while never set.")
