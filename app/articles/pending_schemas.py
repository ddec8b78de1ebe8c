"""Shapes of a pending version (app/articles/pending.py): the publish body, the version as
read, and its difference from the live article."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.articles.schemas import ArticleCreate, CorrectionIn
from app.http.schemas import Instant, ReadModel
from app.store.models.correction import CorrectionKind

__all__ = ["Correction", "CorrectionIn", "PendingPublishIn"]


class Correction(ReadModel):
    """The notice a scheduled publish will append (app/articles/corrections.py)."""

    kind: CorrectionKind
    text: str


class PendingPublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: Instant | None = Field(
        None, description="When to publish it: a future time schedules it; left out (or past), it is published now."
    )
    correction: CorrectionIn | None = Field(
        None, description="A correction notice to publish with the new version ({kind, text})."
    )


class PendingRead(ReadModel):
    """Changes staged on a published article, not public until published."""

    article_id: str
    version: int = Field(description="The pending version's own version: its ETag, what If-Match takes.")
    based_on_version: int = Field(description="The live article's version it was started from.")
    live_version: int = Field(description="The live article's version now.")
    stale: bool = Field(
        description="The live article moved on since (based_on_version ≠ live_version): it cannot be published."
    )
    created_at: datetime
    updated_at: datetime
    publish_at: datetime | None = Field(description="When the clock is to publish it; null: not scheduled.")
    correction: Correction | None = Field(description="The correction notice it is to be published with, if any.")
    article: ArticleCreate = Field(
        description="The article it will make, as POST /v1/articles takes it; its lifecycle fields are "
        "the live article's."
    )


class FieldChange(ReadModel):
    field: str
    live: Any = Field(description="The live article's value (write shape).")
    pending: Any = Field(description="The pending version's value.")


class BlockChange(ReadModel):
    change: Literal["added", "removed", "changed"]
    live_position: int | None = Field(description="The block's index in the live body; null when added.")
    pending_position: int | None = Field(description="The block's index in the pending body; null when removed.")
    live: dict[str, Any] | None = Field(description="The live block; null when added.")
    pending: dict[str, Any] | None = Field(description="The pending block; null when removed.")


class PendingDiff(ReadModel):
    article_id: str
    based_on_version: int
    live_version: int
    fields: list[FieldChange] = Field(description="Every field (but the body) whose value differs.")
    body: list[BlockChange] = Field(description="The body's blocks added, removed or changed, aligned by content.")
