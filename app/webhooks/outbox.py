"""Webhook subscriptions, and the outbox: deliveries written in the transaction of the change."""

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.http.problems import NotFound, ValidationFailed
from app.settings import get_settings
from app.store.engine import rows
from app.store.models.common import iso, to_utc, utcnow
from app.store.models.webhook import SecretRotation, Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate
from app.store.sql import Prepared
from app.webhooks import destinations

MAX_OVERLAP = timedelta(days=30)  # the longest an old secret may keep signing after a rotation

SECRET_PREFIX = "whsec_"
EVERY_EVENT = "*"


def _new_secret() -> str:
    # Standard Webhooks: "whsec_" and the base64 of 24 to 64 random bytes.
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def represent(webhook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    """A subscription as the API shows it; the secret only once, when it is made."""
    out = {
        "id": webhook.id,
        "url": destinations.shown(webhook.url),
        "events": webhook.events,
        "enabled": webhook.enabled,
        "disabled_reason": webhook.disabled_reason,
        "consecutive_failures": webhook.consecutive_failures,
        "failing_since": iso(webhook.failing_since),
        "previous_secret_expires_at": iso(_overlap_end(webhook)),
        "created_at": iso(webhook.created_at),
        "updated_at": iso(webhook.updated_at),
    }
    if with_secret:
        out["secret"] = webhook.secret
    return out


def _overlap_end(webhook: Webhook) -> datetime | None:
    """While the secret before the last rotation still signs: when it stops."""
    end = webhook.previous_secret_expires_at
    if webhook.previous_secret is None or end is None or to_utc(end) <= utcnow():
        return None
    return to_utc(end)


def _destination(url: str) -> str:
    """`url`, if deliveries may go there (destinations.py); a 422 naming `url` otherwise."""
    try:
        destinations.check_subscription(url)
    except destinations.Refused as refused:
        raise ValidationFailed(
            f"Deliveries may not go to {url!r}.", errors=[{"field": "url", "message": str(refused)}]
        ) from None
    return url


def create_webhook(session: Session, data: WebhookCreate) -> Webhook:
    webhook = Webhook(url=_destination(str(data.url)), events=_events(data.events), secret=_new_secret())
    session.add(webhook)
    session.flush()
    return webhook


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(col(Webhook.created_at), col(Webhook.id))))


def get_webhook(session: Session, webhook_id: str) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"No webhook with id {webhook_id!r}.")
    return webhook


def update_webhook(session: Session, webhook_id: str, data: WebhookUpdate) -> Webhook:
    """Change the URL or events; `enabled: true` brings back a disabled subscription with a
    clean slate; `enabled: false` stops it: no new events are queued for it, and those
    already queued wait until it is enabled again."""
    webhook = get_webhook(session, webhook_id)
    if data.url is not None:
        webhook.url = _destination(str(data.url))
    if data.secret is not None:
        _rotate(webhook, data.secret, data.previous_secret_expires_at)
    elif data.previous_secret_expires_at is not None:
        _expiry_without_secret()
    if data.events is not None:
        webhook.events = _events(data.events)
    if data.enabled is True and not webhook.enabled:
        webhook.enabled, webhook.disabled_reason = True, None
        webhook.consecutive_failures, webhook.failing_since = 0, None
    elif data.enabled is False and webhook.enabled:
        webhook.enabled, webhook.disabled_reason = False, "Disabled by an administrator."
    webhook.updated_at = utcnow()
    session.add(webhook)
    session.flush()
    return webhook


def rotate_secret(session: Session, webhook_id: str, data: SecretRotation) -> Webhook:
    """A new secret (the one given, or a new random one); the one it replaces keeps signing
    beside it until the end given, or for GAZETTE_WEBHOOK_SECRET_OVERLAP_HOURS."""
    webhook = get_webhook(session, webhook_id)
    _rotate(webhook, data.secret or _new_secret(), data.previous_secret_expires_at)
    webhook.updated_at = utcnow()
    session.add(webhook)
    session.flush()
    return webhook


def _rotate(webhook: Webhook, secret: str, previous_expires_at: datetime | None) -> None:
    now = utcnow()
    if previous_expires_at is None:
        end = now + timedelta(hours=get_settings().webhook_secret_overlap_hours)
    else:
        end = max(to_utc(previous_expires_at), now)
        if end > now + MAX_OVERLAP:
            raise ValidationFailed(
                "The old secret may keep signing for at most 30 days.",
                errors=[{"field": "previous_secret_expires_at", "message": "must be within 30 days from now"}],
            )
    if secret == webhook.secret:
        raise ValidationFailed(
            "The new secret is the current one.",
            errors=[{"field": "secret", "message": "must differ from the current one"}],
        )
    # One old secret at a time: rotating during an overlap drops the oldest.
    webhook.previous_secret, webhook.previous_secret_expires_at = webhook.secret, end
    webhook.secret = secret


def _expiry_without_secret() -> None:
    raise ValidationFailed(
        "previous_secret_expires_at goes with a new secret.",
        errors=[{"field": "previous_secret_expires_at", "message": "only with secret"}],
    )


def delete_webhook(session: Session, webhook_id: str) -> None:
    """Remove a subscription with its deliveries and their log."""
    session.delete(get_webhook(session, webhook_id))
    session.flush()


def _events(events: list[Any]) -> list[str]:
    names = list(dict.fromkeys(str(e) for e in events))
    return [EVERY_EVENT] if EVERY_EVENT in names else names


# Built once and prepared (app/store/sql.py): every public write runs it.
_ENABLED = Prepared(select(col(Webhook.id), col(Webhook.events)).where(col(Webhook.enabled).is_(True)))


def enqueue(
    session: Session,
    *,
    event: str,
    resource_type: str,
    resource_id: str,
    op: str,
    reason: str | None = None,
    due_at: datetime | None = None,
) -> int:
    """Write one delivery per enabled subscription to `event`, the payload rendered now, in the
    caller's transaction: the change and its webhooks commit (or roll back) together. The
    payload carries the change's `reason` (a delete) and `due_at` (a transition the clock
    applied) when it has them, as the change feed does."""
    enabled = rows(session, _ENABLED)
    subscribers = [webhook_id for webhook_id, events in enabled if event in events or EVERY_EVENT in events]
    if not subscribers:
        return 0
    from app.webhooks import payloads

    now = utcnow()
    payload = {
        "type": event,
        "timestamp": iso(now),
        "data": payloads.render(session, resource_type, resource_id, deleted=op == "delete"),
    }
    if reason is not None:
        payload["reason"] = reason
    if due_at is not None:
        payload["due_at"] = iso(due_at)
    for webhook_id in subscribers:
        session.add(
            WebhookDelivery(
                webhook_id=webhook_id,
                event_type=event,
                resource_key=f"{resource_type}:{resource_id}",
                payload=payload,
                next_attempt_at=now,
                window_start_at=now,
                created_at=now,
            )
        )
    return len(subscribers)
