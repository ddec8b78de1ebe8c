"""Prometheus metrics: requests by route template and status, their latency, the response cache.

Each process counts its own: with several workers, a scrape answers for the one it reached.
"""

import time
from collections.abc import Iterator

from fastapi import APIRouter
from prometheus_client import REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.cache.store import STORE

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "gazette_http_requests", "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "gazette_http_request_duration_seconds", "Time to answer, by method and route template.",
    ["method", "route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def route_template(scope: Scope) -> str:
    """The matched route's template with its prefixes (/v1/articles/{article_id}): the path
    with each path parameter put back as {name}; "unmatched" when no route matched."""
    if scope.get("route") is None:
        return "unmatched"
    segments = scope["path"].split("/")
    for name, value in (scope.get("path_params") or {}).items():
        for i in range(len(segments) - 1, -1, -1):
            if segments[i] == str(value):
                segments[i] = "{" + name + "}"
                break
    return "/".join(segments)


class CacheCollector:
    """The response cache's counters, read from the store when scraped (free on the hot path)."""

    def collect(self) -> Iterator[Metric]:
        hits = CounterMetricFamily("gazette_response_cache_hits", "Public GETs answered from memory.",
                                   labels=["route"])
        misses = CounterMetricFamily("gazette_response_cache_misses", "Public GETs the app had to answer.",
                                     labels=["route"])
        for route, (hit, miss) in list(STORE.lookups.items()):
            hits.add_metric([route], hit)
            misses.add_metric([route], miss)
        yield hits
        yield misses
        yield CounterMetricFamily("gazette_response_cache_purges", "Purges applied (local and broadcast).",
                                  value=STORE.purges)
        yield CounterMetricFamily("gazette_response_cache_purged_entries", "Responses dropped by purges.",
                                  value=STORE.purged)
        yield CounterMetricFamily("gazette_response_cache_evictions", "Responses dropped to stay in bounds.",
                                  value=STORE.evictions)
        yield GaugeMetricFamily("gazette_response_cache_entries", "Responses held.", value=len(STORE))
        yield GaugeMetricFamily("gazette_response_cache_bytes", "Bytes held (estimate).", value=STORE.bytes)


REGISTRY.register(CacheCollector())


_CHILDREN: dict[tuple[str, str, int], tuple] = {}


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
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            observe(scope, status, time.perf_counter() - started)


router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
