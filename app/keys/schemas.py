"""What the key routes answer: a key without its secret, the secret once, a list of keys."""

from datetime import datetime

from pydantic import Field

from app.http.schemas import ListMeta, ReadModel
from app.store.models.key import Scope


class KeyRead(ReadModel):
    id: str
    name: str
    scopes: list[Scope]
    prefix: str = Field(description="The secret's first characters, to tell keys apart.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")
    revoked_at: datetime | None


class KeyCreated(KeyRead):
    key: str = Field(description="The secret: shown this once, never stored.")


class KeyList(ReadModel):
    data: list[KeyRead]
    meta: ListMeta
