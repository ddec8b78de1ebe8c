"""Webhook subscriptions, and the outbox: deliveries written in the transaction of the change."""

import base64
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.http.problems import NotFound
from app.store.engine import rows
from app.store.models.common import iso, utcnow
from app.store.models.webhook import Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate
from app.store.sql import Prepared

SECRET_PREFIX = "whsec_"
EVERY_EVENT = "*"


def _new_secret() -> str:
    # Standard Webhooks: "whsec_" and the base64 of 24 to 64 random bytes.
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def represent(webhook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    """A subscription as the API shows it; the secret only once, when it is made."""
    out = {
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "enabled": webhook.enabled,
        "disabled_reason": webhook.disabled_reason,
        "consecutive_failures": webhook.consecutive_failures,
        "failing_since": iso(webhook.failing_since),
        "created_at": iso(webhook.created_at),
        "updated_at": iso(webhook.updated_at),
    }
    if with_secret:
        out["secret"] = webhook.secret
    return out


def create_webhook(session: Session, data: WebhookCreate) -> Webhook:
    webhook = Webhook(url=str(data.url), events=_events(data.events), secret=_new_secret())
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
        webhook.url = str(data.url)
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
