"""What the database says, read when /metrics is scraped: the same whichever worker answers,
so it is whole-server without multiprocess files. One short query each; when the database
does not answer, these are left out of the scrape and `gazette_metrics_scrape_errors` counts it."""

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import Counter, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from app.store.engine import get_engine
from app.store.models import Article, ArticleStatus, Change
from app.store.models.common import to_utc, utcnow
from app.store.models.webhook import OPEN_STATUSES, WebhookAttempt, WebhookDelivery
from app.store.replicas import WATCH

log = logging.getLogger("gazette.metrics")

# Connections of this process's primary pool, summed over the live workers when scraped.
POOL_IN_USE = Gauge(
    "gazette_db_pool_connections_in_use", "Database connections checked out of the pool.", multiprocess_mode="livesum"
)
POOL_SIZE = Gauge(
    "gazette_db_pool_size", "Connections the pool keeps, over the live workers.", multiprocess_mode="livesum"
)
SCRAPE_ERRORS = Counter("gazette_metrics_scrape_errors", "Scrapes whose database figures could not be read.")


def _age(now: datetime, since: datetime | None) -> float:
    return max(0.0, (now - to_utc(since)).total_seconds()) if since is not None else 0.0


class DatabaseCollector:
    registered = False

    def collect(self) -> Iterator[Metric]:
        yield from _replicas()
        now = utcnow()
        try:
            with get_engine().connect() as c:
                head = c.scalar(select(func.max(col(Change.id)))) or 0
                by_status = dict(
                    c.execute(
                        select(col(WebhookDelivery.status), func.count()).group_by(col(WebhookDelivery.status))
                    ).all()
                )
                oldest = c.scalar(
                    select(func.min(col(WebhookDelivery.created_at))).where(
                        col(WebhookDelivery.status).in_([s.value for s in OPEN_STATUSES])
                    )
                )
                failed = (
                    c.scalar(
                        select(func.count())
                        .select_from(WebhookAttempt)
                        .where(
                            col(WebhookAttempt.status_code).is_(None)
                            | (col(WebhookAttempt.status_code) < 200)
                            | (col(WebhookAttempt.status_code) >= 300)
                        )
                    )
                    or 0
                )
                due = c.scalar(
                    select(func.min(col(Article.publish_at))).where(
                        col(Article.status) == ArticleStatus.scheduled,
                        col(Article.deleted_at).is_(None),
                        col(Article.publish_at) <= now,
                    )
                )
        except SQLAlchemyError:
            log.warning("metrics: the database did not answer", exc_info=True)
            SCRAPE_ERRORS.inc()
            return
        yield GaugeMetricFamily("gazette_change_feed_head", "Id of the newest change in the feed.", value=head)
        deliveries = GaugeMetricFamily(
            "gazette_webhook_deliveries", "Webhook deliveries, by status.", labels=["status"]
        )
        for status in ("pending", "failed", "delivered", "dead"):
            deliveries.add_metric([status], by_status.get(status, 0))
        yield deliveries
        yield GaugeMetricFamily(
            "gazette_webhook_outbox_depth",
            "Deliveries still to send (pending or failed).",
            value=sum(by_status.get(s.value, 0) for s in OPEN_STATUSES),
        )
        yield GaugeMetricFamily(
            "gazette_webhook_oldest_pending_age_seconds",
            "Age of the oldest delivery still to send; 0 when none.",
            value=_age(now, oldest),
        )
        yield CounterMetricFamily("gazette_webhook_failed_attempts", "Delivery attempts that got no 2xx.", value=failed)
        yield GaugeMetricFamily(
            "gazette_scheduler_lag_seconds",
            "How long the oldest article due to be published has waited; 0 when none.",
            value=_age(now, due),
        )


def _replicas() -> Iterator[Metric]:
    """Each read replica as the answering process sees it (app/store/replicas.py)."""
    if not WATCH.ensure_started():
        return
    WATCH.measured.wait(1.0)
    lag = GaugeMetricFamily(
        "gazette_replica_lag_seconds",
        "How long ago the primary first stood past what the replica has replayed (0: caught up); "
        "absent while it does not answer.",
        labels=["replica"],
    )
    up = GaugeMetricFamily("gazette_replica_up", "1 when the replica answered the last look.", labels=["replica"])
    in_use = GaugeMetricFamily(
        "gazette_replica_in_use", "1 when this process's public reads go to the replica.", labels=["replica"]
    )
    for state in WATCH.status():
        name = str(state["name"])
        if isinstance(state["lag_seconds"], float):
            lag.add_metric([name], state["lag_seconds"])
        up.add_metric([name], 1 if state["up"] else 0)
        in_use.add_metric([name], 1 if state["in_use"] else 0)
    yield from (lag, up, in_use)


DATABASE = DatabaseCollector()


_WATCHED: set[int] = set()


def watch_pool(engine: Engine) -> None:
    """Keep the pool gauges of this process as connections come and go (once per pool)."""
    pool = engine.pool
    if id(pool) in _WATCHED:
        return
    _WATCHED.add(id(pool))
    size = getattr(pool, "size", None)
    POOL_SIZE.set(size() if callable(size) else 0)
    event.listen(pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: POOL_IN_USE.dec())
