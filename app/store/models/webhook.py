"""Webhook subscriptions, their outbox of deliveries, and the log of every attempt."""

import base64
import binascii
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, HttpUrl
from pydantic import Field as PydanticField
from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer
from sqlmodel import AutoString, Field, SQLModel

from app.store.models.common import JSONType, new_id, utcnow
from app.store.models.resources import NAMES

# Resource types of the change feed; the other resources raise <type>.created/updated/deleted.
RESOURCE_TYPES = NAMES
EVENTS = (
    "article.published",
    "article.updated",
    "article.unpublished",
    "article.deleted",
    "article.expired",
    "article.embargoed",
    "article.corrected",
    *(f"{kind}.{verb}" for kind in RESOURCE_TYPES[1:] for verb in ("created", "updated", "deleted")),
)

URL_MAX = 2083  # the size of Webhook.url

# "*" subscribes to every event, those added later included.
# mypy learns an Enum's members only from literals; these come from EVENTS, the one list of them.
WebhookEvent = StrEnum("WebhookEvent", {name.replace(".", "_"): name for name in EVENTS} | {"all": "*"})  # type: ignore[misc]


class DeliveryStatus(StrEnum):
    pending = "pending"  # not tried yet (or retried by hand)
    failed = "failed"  # tried, will be tried again
    delivered = "delivered"  # the receiver answered 2xx
    dead = "dead"  # given up after the retry window


OPEN_STATUSES = (DeliveryStatus.pending, DeliveryStatus.failed)

_BIGINT_ID = BigInteger().with_variant(Integer(), "sqlite")


class Webhook(SQLModel, table=True):
    """A subscription: where to POST which events, and the secret that signs them."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    url: str = Field(max_length=URL_MAX)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    secret: str = Field(max_length=100)
    # After a rotation, the secret before it signs too until previous_secret_expires_at.
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = None
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription, written in the transaction of the change (the outbox)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_webhook_id_resource_key_id", "webhook_id", "resource_key", "id"),
        Index("ix_webhook_delivery_webhook_id_id", "webhook_id", "id"),
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        # Ids are never reused (they are the messages' webhook-id), even on SQLite.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_BIGINT_ID)
    webhook_id: str = Field(
        sa_column=Column(AutoString(26), ForeignKey("webhook.id", ondelete="CASCADE"), nullable=False)
    )
    event_type: str = Field(max_length=60)
    # "article:<id>": deliveries of one resource to one subscription go out in id order.
    resource_key: str = Field(max_length=60)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    status: str = Field(default=DeliveryStatus.pending, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    # Retries stop this long after window_start_at (creation, or a manual retry).
    window_start_at: datetime = Field(default_factory=utcnow)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


class WebhookAttempt(SQLModel, table=True):
    """One POST of a delivery: when, what the receiver answered, how long it took."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_delivery_id_id", "delivery_id", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_BIGINT_ID)
    delivery_id: int = Field(
        sa_column=Column(_BIGINT_ID, ForeignKey("webhook_delivery.id", ondelete="CASCADE"), nullable=False)
    )
    at: datetime = Field(default_factory=utcnow)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0


def _fits_column(url: HttpUrl) -> HttpUrl:
    # Normalising (a "/" added, a host's punycode) can make a URL longer than what was sent.
    if len(str(url)) > URL_MAX:
        raise ValueError(f"must be at most {URL_MAX} characters once normalised")
    return url


TargetUrl = Annotated[HttpUrl, AfterValidator(_fits_column)]


def _a_secret(value: str) -> str:
    # Standard Webhooks: "whsec_" and the base64 of 24 to 64 random bytes.
    if not value.startswith("whsec_"):
        raise ValueError("must start with whsec_ (Standard Webhooks)")
    try:
        raw = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        raise ValueError("must be whsec_ and base64") from None
    if not 24 <= len(raw) <= 64:
        raise ValueError("must encode 24 to 64 random bytes")
    return value


Secret = Annotated[str, AfterValidator(_a_secret)]


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once in UTC") from None


ExpiresAt = Annotated[AwareDatetime, AfterValidator(_in_utc)]
_SECRET_FIELD = PydanticField(
    None,
    description="A new signing secret, `whsec_` and the base64 of 24 to 64 random bytes; the one it "
    "replaces keeps signing beside it until `previous_secret_expires_at`.",
)
_EXPIRES_FIELD = PydanticField(
    None,
    description="With a new secret: when the old one stops signing (default: after "
    "GAZETTE_WEBHOOK_SECRET_OVERLAP_HOURS, 24 h); a time already past stops it at once.",
)


class WebhookCreate(BaseModel):
    """Body of POST /v1/webhooks."""

    model_config = ConfigDict(extra="forbid")

    url: TargetUrl = PydanticField(description="Where deliveries are POSTed (http or https).")
    events: list[WebhookEvent] = PydanticField(
        min_length=1, max_length=50, description="Event names, or `*` for every event."
    )


class WebhookUpdate(BaseModel):
    """Body of PATCH /v1/webhooks/{id}: the fields given replace the stored ones."""

    model_config = ConfigDict(extra="forbid")

    url: TargetUrl | None = None
    events: list[WebhookEvent] | None = PydanticField(None, min_length=1, max_length=50)
    enabled: bool | None = PydanticField(
        None, description="true re-enables a subscription that was disabled, and clears its failures."
    )
    secret: Secret | None = _SECRET_FIELD
    previous_secret_expires_at: ExpiresAt | None = _EXPIRES_FIELD


class SecretRotation(BaseModel):
    """Body of POST /v1/webhooks/{id}/rotate-secret (optional): a new secret is made unless given."""

    model_config = ConfigDict(extra="forbid")

    secret: Secret | None = _SECRET_FIELD
    previous_secret_expires_at: ExpiresAt | None = _EXPIRES_FIELD
