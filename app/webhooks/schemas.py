"""What the webhook routes answer: a subscription (its secret once, when made), a delivery
with the log of its attempts, and their lists."""

from datetime import datetime
from typing import Any

from pydantic import Field

from app.http.schemas import ListMeta, ReadModel
from app.store.models.webhook import DeliveryStatus, WebhookEvent


class WebhookRead(ReadModel):
    id: str
    url: str
    events: list[WebhookEvent] = Field(description="Event names, or `*` alone for every event.")
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="After a secret rotation, while the old secret still signs beside the new one: when it stops."
    )
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="Signs every delivery (Standard Webhooks): shown this once.")


class WebhookRotated(WebhookRead):
    secret: str = Field(description="The new secret (Standard Webhooks): shown this once.")


class WebhookList(ReadModel):
    data: list[WebhookRead]
    meta: ListMeta


class DeliveryAttempt(ReadModel):
    at: datetime
    status_code: int | None = Field(description="What the receiver answered; null when it could not be reached.")
    error: str | None
    duration_ms: int


class DeliveryRead(ReadModel):
    """One event for one subscription, and every attempt to deliver it."""

    id: str
    webhook_id: str
    event_type: str = Field(description="Such as article.published.")
    resource: str = Field(description="<type>:<id> of the resource the event is about.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="While pending or failed: when it is tried next.")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[DeliveryAttempt]
    payload: dict[str, Any] = Field(description="The message POSTed to the receiver.")


class DeliveryList(ReadModel):
    data: list[DeliveryRead]
    meta: ListMeta
