"""What the change feed answers: each change, and where to read on from."""

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from app.changes.feed import REASONS
from app.http.schemas import ReadModel, sometimes
from app.store.models.webhook import RESOURCE_TYPES

# The kinds of resource the feed follows: article, quote, update, category, person, source, tag, author.
# mypy learns an Enum's members only from literals; these come from RESOURCE_TYPES, the one list of them.
ResourceType = StrEnum("ResourceType", [(kind, kind) for kind in RESOURCE_TYPES])  # type: ignore[misc]


class ChangeOp(StrEnum):
    upsert = "upsert"  # made or changed: read it again
    delete = "delete"  # gone, or no longer public


# Why a delete happened (app/changes/feed.py REASONS, the one list of them).
RemovalReason = StrEnum("RemovalReason", [(name, name) for name in REASONS])  # type: ignore[misc]


class Change(ReadModel):
    """One change to public content, in commit order."""

    cursor: str = Field(description="Pass as `since` to read on after this change.")
    type: ResourceType
    id: str
    op: ChangeOp
    version: int = Field(description="The resource's version after the change.")
    at: datetime = Field(description="When the change was applied (committed).")
    reason: RemovalReason | None = Field(
        description="Why a `delete` happened: "
        + "; ".join(f"`{name}`: {meaning}" for name, meaning in REASONS.items())
        + ". Null for an `upsert`."
    )
    due_at: datetime | None = Field(
        description="For a change the clock applied by itself (a scheduled publication, an embargo lifting, "
        "an expiry): the time it was due, which `at` may follow when no server was running then. Else null."
    )

    article: str = sometimes(
        "For an `update` (of a live blog): the id of its article, where it is read "
        "(`/v1/articles/{article}/updates/{id}`)."
    )


class ChangeMeta(ReadModel):
    next_cursor: str = Field(description="Pass as `since` on the next call; when nothing is new, the `since` sent.")
    has_more: bool


class ChangeList(ReadModel):
    data: list[Change]
    meta: ChangeMeta
