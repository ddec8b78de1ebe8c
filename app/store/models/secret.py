"""Secrets the server makes for itself and keeps in the database, so that every process and
node shares them (app/store/secrets.py)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.store.models.common import utcnow


class ServerSecret(SQLModel, table=True):
    __tablename__ = "server_secret"

    name: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
