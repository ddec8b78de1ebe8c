"""Delivering the outbox: signed POSTs, in order per resource, retried with backoff and jitter.

A round claims due deliveries in a short transaction (on PostgreSQL with FOR UPDATE SKIP
LOCKED, so several workers never take the same one), sends them with no transaction open
(a slow receiver must not hold the change feed back), then records what each receiver said.
A claimed delivery is leased: if its worker dies mid-send it becomes due again after the
lease, so delivery is at least once; receivers deduplicate by the `webhook-id` header.

Every request goes to an address `destinations` checked and pinned, waits at most the
timeout for each step (connect, send, the answer's headers; the answer's body is never read),
and redirects are not followed. The log records outcomes a receiver's owner needs (the
status code, or that nothing answered, or that the policy refused the destination), never
connection details: an open port must not be told from a closed one through the API.
"""

import logging
import math
import random
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from standardwebhooks.webhooks import Webhook as Signer

from app.http.pagination import Keyset, Page
from app.http.params import ListParams
from app.http.problems import Conflict, NotFound
from app.settings import get_settings
from app.store.engine import is_postgres
from app.store.models.common import iso, to_utc, utcnow
from app.store.models.webhook import (
    OPEN_STATUSES,
    DeliveryStatus,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from app.store.sessions import write_session
from app.webhooks import destinations
from app.webhooks.outbox import get_webhook

USER_AGENT = "Gazette-Webhooks/1.0"
NO_ANSWER = "no HTTP answer (the receiver could not be reached, or did not answer in time)"

log = logging.getLogger("gazette.webhooks")


@dataclass(frozen=True)
class Policy:
    """How long to wait between tries, and when to give up."""

    base_seconds: float
    max_seconds: float
    max_age: timedelta
    timeout_seconds: float

    @classmethod
    def from_settings(cls) -> "Policy":
        s = get_settings()
        return cls(
            s.webhook_backoff_base_seconds,
            s.webhook_backoff_max_seconds,
            timedelta(hours=s.webhook_max_age_hours),
            s.webhook_timeout_seconds,
        )

    def backoff(self, attempts: int) -> timedelta:
        """base·2^(attempts-1) ±25 % jitter (so failed receivers are not hit in step), capped."""
        delay = self.base_seconds * 2 ** min(attempts - 1, 60) * random.uniform(0.75, 1.25)
        return timedelta(seconds=min(self.max_seconds, delay))

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout_seconds + 30)


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    webhook_id: str
    url: str
    secret: str
    payload: dict[str, Any]
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None

    def signature(self, msg_id: str, at: datetime, body: str) -> str:
        """`v1,<sig>`, and during a rotation's overlap the old secret's beside it, space-separated."""
        signatures = [Signer(self.secret).sign(msg_id, at, body)]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and at < to_utc(expires):
            signatures.append(Signer(self.previous_secret).sign(msg_id, at, body))
        return " ".join(signatures)


@dataclass(frozen=True)
class _Result:
    job: _Job
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliver_due(
    session_factory: Callable[[], Session],
    *,
    now: datetime | None = None,
    limit: int = 500,
    policy: Policy | None = None,
) -> int:
    """Send up to `limit` due deliveries, batch after batch (a success lets the next event
    of the same resource go in the following batch); returns how many were tried."""
    policy = policy or Policy.from_settings()
    side_by_side = get_settings().webhook_concurrency
    tried = 0
    # trust_env=False: no proxy from the environment, so the checked address is the one reached.
    with (
        httpx.Client(timeout=policy.timeout_seconds, follow_redirects=False, trust_env=False) as client,
        ThreadPoolExecutor(max_workers=side_by_side, thread_name_prefix="webhook") as pool,
    ):
        while tried < limit:
            moment = now or utcnow()
            jobs_ = _claim(session_factory, now=moment, limit=min(side_by_side, limit - tried), lease=policy.lease)
            if not jobs_:
                break
            results = list(pool.map(lambda job: _send(client, job), jobs_))
            _settle(session_factory, results, policy=policy, now=now)
            tried += len(jobs_)
    return tried


def _claim(session_factory: Callable[[], Session], *, now: datetime, limit: int, lease: timedelta) -> list[_Job]:
    """Take the due head of each (subscription, resource) queue and lease it, in one statement."""
    d = aliased(WebhookDelivery, name="due")
    earlier = aliased(WebhookDelivery, name="earlier")
    blocked = exists().where(
        col(earlier.webhook_id) == d.webhook_id,
        col(earlier.resource_key) == d.resource_key,
        col(earlier.id) < col(d.id),
        col(earlier.status).in_(OPEN_STATUSES),
    )
    with session_factory() as session:
        due = (
            select(col(d.id))
            .join(Webhook, col(Webhook.id) == d.webhook_id)
            .where(
                col(d.status).in_(OPEN_STATUSES),
                col(d.next_attempt_at) <= now,
                col(Webhook.enabled).is_(True),
                ~blocked,
            )
            .order_by(col(d.id))
            .limit(limit)
        )
        if is_postgres(session):
            due = due.with_for_update(of=d, skip_locked=True)
        table = WebhookDelivery
        claimed = (
            session.execute(
                update(table)
                .where(col(table.id).in_(due.scalar_subquery()))
                .values(next_attempt_at=now + lease)
                .returning(col(table.id))
                .execution_options(synchronize_session=False)
            )
            .scalars()
            .all()
        )
        rows = (
            session.execute(
                select(
                    col(table.id),
                    col(table.webhook_id),
                    col(table.payload),
                    col(Webhook.url),
                    col(Webhook.secret),
                    col(Webhook.previous_secret),
                    col(Webhook.previous_secret_expires_at),
                )
                .join(Webhook, col(Webhook.id) == table.webhook_id)
                .where(col(table.id).in_(claimed))
                .order_by(col(table.id))
            ).all()
            if claimed
            else []
        )
        session.commit()
    return [
        _Job(r.id, r.webhook_id, r.url, r.secret, r.payload, r.previous_secret, r.previous_secret_expires_at)
        for r in rows
    ]


def _send(client: httpx.Client, job: _Job) -> _Result:
    """One signed POST, per the Standard Webhooks specification."""
    body = orjson.dumps(job.payload).decode()
    at = utcnow()
    msg_id = str(job.delivery_id)
    started = time.perf_counter()
    try:
        target = destinations.pin(job.url)
    except destinations.Refused as refused:
        log.warning("webhook delivery %s to %s refused by policy: %s", msg_id, job.url, refused)
        return _Result(job, at, None, destinations.REFUSED, 0)
    headers = {
        "host": target.host,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(at.timestamp())),
        "webhook-signature": job.signature(msg_id, at, body),
    }
    extensions = {"sni_hostname": target.sni} if target.sni else None
    try:
        # Streamed and closed unread: only the status line and headers are waited for.
        with client.stream("POST", target.url, content=body.encode(), headers=headers, extensions=extensions) as answer:
            code = answer.status_code
    except httpx.HTTPError as exc:
        log.info("webhook delivery %s to %s got no answer: %s: %s", msg_id, job.url, type(exc).__name__, exc)
        return _Result(job, at, None, NO_ANSWER, 0)
    error = None if 200 <= code < 300 else f"HTTP {code}"
    return _Result(job, at, code, error, round((time.perf_counter() - started) * 1000))


def _settle(
    session_factory: Callable[[], Session], results: list[_Result], *, policy: Policy, now: datetime | None
) -> None:
    """Record each attempt; schedule the next try, give up, or disable the subscription."""
    with session_factory() as session:
        # Subscriptions in id order, so that workers settling at once never deadlock.
        for webhook_id in sorted({r.job.webhook_id for r in results}):
            webhook = session.get(Webhook, webhook_id, with_for_update=is_postgres(session))
            for result in (r for r in results if r.job.webhook_id == webhook_id):
                delivery = session.get(WebhookDelivery, result.job.delivery_id)
                if webhook is None or delivery is None:  # deleted while we were sending
                    continue
                _apply(session, webhook, delivery, result, policy, now or utcnow())
        session.commit()


def _apply(
    session: Session, webhook: Webhook, delivery: WebhookDelivery, result: _Result, policy: Policy, now: datetime
) -> None:
    session.add(
        WebhookAttempt(
            delivery_id=result.job.delivery_id,  # delivery's own id, as the job holds it (not None)
            at=result.at,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = result.status_code, result.error
    if result.ok:
        delivery.status, delivery.delivered_at = DeliveryStatus.delivered, now
        webhook.consecutive_failures, webhook.failing_since = 0, None
    else:
        webhook.consecutive_failures += 1
        webhook.failing_since = webhook.failing_since or result.at
        failing_too_long = now - webhook.failing_since >= policy.max_age
        if now - delivery.window_start_at >= policy.max_age:
            delivery.status = DeliveryStatus.dead
            # Dead, and nothing succeeded since its first try: the receiver is gone.
            first_try = session.scalar(
                select(func.min(col(WebhookAttempt.at))).where(col(WebhookAttempt.delivery_id) == delivery.id)
            )
            failing_too_long = failing_too_long or webhook.failing_since <= (first_try or result.at)
        else:
            delivery.status = DeliveryStatus.failed
            delivery.next_attempt_at = now + policy.backoff(delivery.attempts)
        if webhook.enabled and failing_too_long:
            webhook.enabled = False
            webhook.disabled_reason = (
                f"Every delivery failed since {iso(webhook.failing_since)} "
                f"({webhook.consecutive_failures} tries in a row; last: {result.error})."
            )[:500]
            webhook.updated_at = now
    session.add_all([delivery, webhook])


def deliver_webhooks() -> int:
    """The background job: one round of deliveries (run by `gazette worker` or a lone server)."""
    return deliver_due(write_session)


# -- the delivery log and manual retry, for the admin API -------------------------------------


class DeliveryListParams(ListParams):
    """Query parameters of GET /v1/webhooks/{id}/deliveries."""

    status: DeliveryStatus | None = None


def represent(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": str(delivery.id),
        "webhook_id": delivery.webhook_id,
        "event_type": delivery.event_type,
        "resource": delivery.resource_key,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status in OPEN_STATUSES else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": iso(delivery.created_at),
        "delivered_at": iso(delivery.delivered_at),
        "log": [
            {"at": iso(a.at), "status_code": a.status_code, "error": a.error, "duration_ms": a.duration_ms}
            for a in attempts
        ],
        "payload": delivery.payload,
    }


def _with_log(session: Session, deliveries: list[WebhookDelivery]) -> list[dict[str, Any]]:
    ids = [d.id for d in deliveries]
    log: dict[int | None, list[WebhookAttempt]] = {i: [] for i in ids}
    if ids:
        for attempt in session.scalars(
            select(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(ids)).order_by(col(WebhookAttempt.id))
        ):
            log[attempt.delivery_id].append(attempt)
    return [represent(d, log[d.id]) for d in deliveries]


def _is_id(value: str) -> bool:
    return re.fullmatch(r"[0-9]{1,18}", value) is not None


def _delivery_id(value: str) -> int:
    if not _is_id(value):
        raise ValueError(value)
    return int(value)


_NEWEST_FIRST = Keyset(WebhookDelivery.id, "-id", descending=True, parse=_delivery_id)


def list_deliveries(session: Session, webhook_id: str, params: DeliveryListParams) -> tuple[list[dict[str, Any]], Page]:
    """A subscription's deliveries, newest first, each with the log of its attempts."""
    get_webhook(session, webhook_id)
    stmt = select(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id)
    if params.status:
        stmt = stmt.where(col(WebhookDelivery.status) == params.status)
    rows, next_cursor = _NEWEST_FIRST.page(session, stmt, cursor=params.cursor, limit=params.limit)
    total = None
    if params.count:
        total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = _with_log(session, rows)
    return items, Page(items=items, limit=params.limit, next_cursor=next_cursor, total=total)


def retry(session: Session, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """Send a failed or dead delivery again, now, with a fresh retry window."""
    delivery = session.get(WebhookDelivery, int(delivery_id)) if _is_id(delivery_id) else None
    if delivery is None or delivery.webhook_id != webhook_id:
        get_webhook(session, webhook_id)
        raise NotFound(f"No delivery {delivery_id!r} for webhook {webhook_id!r}.")
    if delivery.status == DeliveryStatus.delivered:
        raise Conflict("This delivery already reached the receiver.")
    now = utcnow()
    delivery.status, delivery.next_attempt_at, delivery.window_start_at = DeliveryStatus.pending, now, now
    session.add(delivery)
    session.flush()
    return _with_log(session, [delivery])[0]
