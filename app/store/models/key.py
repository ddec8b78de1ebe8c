"""API keys: stored only as a hash, with their scopes."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.store.models.common import JSONType, new_id, utcnow


class Scope(StrEnum):
    content_read = "content:read"
    content_write = "content:write"
    content_publish = "content:publish"
    # Reads published articles still under embargo (by id, slug and in lists), and nothing else
    # the public cannot see: what an embargo partner's key holds.
    content_embargoed = "content:embargoed"
    admin = "admin"


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class KeyCreate(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
