"""What the change feed answers: each change, and where to read on from."""

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from app.http.schemas import ReadModel
from app.store.models.webhook import RESOURCE_TYPES

# The kinds of resource the feed follows: article, quote, category, person, source, tag, author.
# mypy learns an Enum's members only from literals; these come from RESOURCE_TYPES, the one list of them.
ResourceType = StrEnum("ResourceType", [(kind, kind) for kind in RESOURCE_TYPES])  # type: ignore[misc]


class ChangeOp(StrEnum):
    upsert = "upsert"  # made or changed: read it again
    delete = "delete"  # gone, or no longer public


class Change(ReadModel):
    """One change to public content, in commit order."""

    cursor: str = Field(description="Pass as `since` to read on after this change.")
    type: ResourceType
    id: str
    op: ChangeOp
    version: int = Field(description="The resource's version after the change.")
    at: datetime


class ChangeMeta(ReadModel):
    next_cursor: str = Field(description="Pass as `since` on the next call; when nothing is new, the `since` sent.")
    has_more: bool


class ChangeList(ReadModel):
    data: list[Change]
    meta: ChangeMeta
