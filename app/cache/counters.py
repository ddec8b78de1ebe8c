"""The response cache's hits and misses, counted as they happen (app.observability.metrics
exports them with every other metric)."""

from typing import Any

from prometheus_client import Counter

CACHE_HITS = Counter("gazette_response_cache_hits", "Public GETs answered from memory.", ["route"])
CACHE_MISSES = Counter("gazette_response_cache_misses", "Public GETs the app had to answer.", ["route"])
_LOOKUPS: dict[tuple[str, bool], Any] = {}


def count_lookup(route: str, *, hit: bool) -> None:
    """One response-cache lookup: the labelled child is made once per route and kept."""
    child = _LOOKUPS.get((route, hit))
    if child is None:
        child = _LOOKUPS[(route, hit)] = (CACHE_HITS if hit else CACHE_MISSES).labels(route)
    child.inc()
