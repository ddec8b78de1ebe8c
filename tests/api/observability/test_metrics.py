"""/metrics: what a Prometheus scrape reads, for the whole server whichever worker answers."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.store import migrate
from tests.conftest import _create_database
from tests.support.factories import bearer, make_article, make_key
from tests.support.processes import gazette_serve


def _samples(text: str) -> list:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _value(text: str, name: str, *, missing: float | None = None, **labels: str) -> float:
    found = [s.value for s in _samples(text) if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    if not found and missing is not None:
        return missing
    assert found, f"no {name} {labels}"
    return sum(found)


def test_requests_and_cache_lookups_are_counted_by_route_template_and_status(client, session):
    route = "/v1/articles/{article_id}"
    names = {
        "ok": ("gazette_http_requests_total", {"route": route, "status": "200", "method": "GET"}),
        "missing": ("gazette_http_requests_total", {"route": route, "status": "404", "method": "GET"}),
        "timed": ("gazette_http_request_duration_seconds_count", {"route": route, "method": "GET"}),
        "hits": ("gazette_response_cache_hits_total", {"route": route}),
        "misses": ("gazette_response_cache_misses_total", {"route": route}),
    }

    def read() -> dict[str, float]:  # the test server's counters run on from earlier tests
        text = client.get("/metrics").text
        return {key: _value(text, name, missing=0, **labels) for key, (name, labels) in names.items()}

    article = make_article(session)
    before = read()
    for _ in range(3):
        assert client.get(f"/v1/articles/{article.id}").status_code == 200
    assert client.get("/v1/articles/nope").status_code == 404
    scraped = client.get("/metrics")
    after = read()

    assert scraped.status_code == 200 and scraped.headers["cache-control"] == "no-store"
    grew = {key: after[key] - before[key] for key in names}
    assert (grew["ok"], grew["missing"], grew["timed"]) == (3, 1, 4)
    assert grew["hits"] == 2 and grew["misses"] == 2  # the first read fills the cache, then two hits


def test_the_database_figures_follow_the_feed_the_outbox_and_the_pool(client, session):
    admin = bearer(make_key(session, "admin", "content:write", "content:publish"))
    before = client.get("/metrics").text
    assert _value(before, "gazette_webhook_outbox_depth") == 0
    assert _value(before, "gazette_webhook_oldest_pending_age_seconds") == 0
    assert _value(before, "gazette_scheduler_lag_seconds") == 0
    assert _value(before, "gazette_db_pool_size") >= 1
    assert _value(before, "gazette_db_pool_connections_in_use") >= 0
    # Background jobs are off in the tests: what is queued stays queued.
    hook = client.post(
        "/v1/webhooks", json={"url": "https://example.org/hook", "events": ["article.published"]}, headers=admin
    )
    assert hook.status_code == 201, hook.text

    make_article(session)
    after = client.get("/metrics").text

    assert _value(after, "gazette_change_feed_head") > _value(before, "gazette_change_feed_head")
    assert _value(after, "gazette_webhook_outbox_depth") == 1
    assert _value(after, "gazette_webhook_deliveries", status="pending") == 1
    assert _value(after, "gazette_webhook_oldest_pending_age_seconds") >= 0
    assert _value(after, "gazette_webhook_failed_attempts_total") == 0


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """`gazette serve --workers 2` on a database of its own."""
    url, drop = _create_database(tmp_path_factory.mktemp("two-workers"))
    migrate.upgrade("heads", url)
    try:
        with gazette_serve(url, "--no-migrate", "--workers", "2") as (base, log):
            yield base, log
    finally:
        drop()


def test_with_two_workers_every_scrape_counts_every_workers_requests(two_workers, client):
    base, _ = two_workers
    one_process = _value(client.get("/metrics").text, "gazette_db_pool_size")
    for _ in range(40):  # a new connection each: the kernel spreads them over both workers
        with httpx.Client(base_url=base, timeout=10, headers={"Connection": "close"}) as c:
            assert c.get("/v1/articles").status_code == 200

    counts = []
    for _ in range(6):
        with httpx.Client(base_url=base, timeout=10, headers={"Connection": "close"}) as c:
            text = c.get("/metrics").text
        counts.append(_value(text, "gazette_http_requests_total", route="/v1/articles", status="200"))

    assert counts == [40] * 6
    # Each worker's own gauge, summed over the live ones: both of them are in every scrape.
    assert _value(text, "gazette_db_pool_size") == 2 * one_process


def test_scheduler_lag_shows_an_article_left_waiting_past_its_time(client, session):
    """Background jobs are off in the tests: an article scheduled a moment ahead is then due
    and not published, as when no process runs the scheduler."""
    import time
    from datetime import timedelta

    from app.articles import lifecycle
    from app.store.models.common import utcnow

    article = make_article(session, status="draft")
    lifecycle.publish(session, article.id, at=utcnow() + timedelta(milliseconds=300), if_match="*", key=None)
    session.commit()
    time.sleep(0.6)  # past its time: what is measured is that the gauge sees it, not how soon

    assert _value(client.get("/metrics").text, "gazette_scheduler_lag_seconds") > 0
