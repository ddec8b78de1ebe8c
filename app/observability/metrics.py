"""Prometheus metrics: requests by route template and status, their latency, the response cache,
the database pool, and what the database says (change-feed head, webhook outbox, scheduler lag).

With several workers (`gazette serve --workers N`), prometheus-client's multiprocess mode:
`gazette serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before the workers start,
each one's counters live in files there, and a scrape, whichever worker answers it, adds up
every worker's (`multiprocess.MultiProcessCollector`). What the database says is the same
from every worker, so the answering one reads it when scraped (`DatabaseCollector`).
"""

import os
from collections.abc import Iterator
from pathlib import Path

from fastapi import APIRouter
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.articles.fast_path import DIRECT
from app.cache.store import STORE
from app.http.middleware.outcome import answer_then, route_template

# Chosen by prometheus-client when first imported, from PROMETHEUS_MULTIPROC_DIR.
MULTIPROCESS = values.ValueClass is not values.MutexValue

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "gazette_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "gazette_http_request_duration_seconds",
    "Time to answer, by method and route template.",
    ["method", "route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class CacheCollector:
    """The response cache's own state, read from the store when scraped (free on the hot path):
    this process's alone, so left out when several workers serve (multiprocess mode)."""

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "gazette_response_cache_purges", "Purges applied (local and broadcast).", value=STORE.purges
        )
        yield CounterMetricFamily(
            "gazette_response_cache_purged_entries", "Responses dropped by purges.", value=STORE.purged
        )
        yield CounterMetricFamily(
            "gazette_response_cache_evictions", "Responses dropped to stay in bounds.", value=STORE.evictions
        )
        yield GaugeMetricFamily("gazette_response_cache_entries", "Responses held.", value=len(STORE))
        yield GaugeMetricFamily("gazette_response_cache_bytes", "Bytes held (estimate).", value=STORE.bytes)
        served = CounterMetricFamily(
            "gazette_article_direct_reads",
            "Single-article reads the response cache missed and the fast path answered, by what "
            "answered: the stored document, or the article built from its rows.",
            labels=["answer"],
        )
        served.add_metric(["document"], DIRECT.answered_stored)
        served.add_metric(["built"], DIRECT.answered_built)
        yield served


def install() -> None:
    """Export the response cache's own state (called by app.wiring): this process's alone,
    so not when several workers serve."""
    global _INSTALLED
    if not MULTIPROCESS and not _INSTALLED:
        REGISTRY.register(CacheCollector())
        _INSTALLED = True


_INSTALLED = False


_CHILDREN: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe(scope: Scope, status: int, seconds: float) -> None:
    """Count and time one answered request, labelled by the route template it matched."""
    method = scope["method"] if scope["method"] in METHODS else "OTHER"
    route = scope.get("gazette.route") or route_template(scope)
    children = _CHILDREN.get((method, route, status))
    if children is None:
        children = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        _CHILDREN[(method, route, status)] = children
    children[0].inc()
    children[1].observe(seconds)


class MetricsMiddleware:
    """Counts and times every HTTP request the app answers (cache hits are counted in front
    of it, by app.main.Gazette)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await answer_then(self.app, scope, receive, send, observe)


def share_across_workers(directory: str) -> None:
    """Before `gazette serve` starts several workers: each one's counters go to files in
    `directory` (emptied now, so a restart starts from zero), which /metrics adds up. Workers
    are started afresh by uvicorn and read this when they first import prometheus-client."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)  # for the workers: not a setting read


def process_ended() -> None:
    """A worker that stops takes its live gauges (pool use) out of the sums."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    operation_id="get_metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"description": "The Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}
    },
)
def metrics() -> Response:
    """The whole server's metrics, whichever worker answers."""
    from app.observability.database import DATABASE

    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(DATABASE)
    else:
        registry = REGISTRY
        if not DATABASE.registered:
            registry.register(DATABASE)
            DATABASE.registered = True
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
