"""The change feed as server-sent events, as a live front end reads it."""

import re

import httpx
import pytest

from app.settings import get_settings
from tests.support.editorial import create, desk
from tests.support.events import events
from tests.support.factories import make_article, make_person

SSE = {"Accept": "text/event-stream"}


def _feed(client, **params) -> list[dict]:
    items, since = [], None
    while True:
        body = client.get("/v1/changes", params={**params, **({"since": since} if since else {})}).json()
        items += body["data"]
        since = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            return items


def _take(stream, n: int) -> list[dict]:
    """The next `n` events of `stream` (comments skipped)."""
    taken = []
    for event in stream:
        if "data" in event:
            taken.append(event)
            if len(taken) == n:
                return taken
    raise AssertionError(f"the stream ended after {len(taken)} events")


@pytest.fixture
def sse(server):
    with httpx.Client(base_url=server, timeout=httpx.Timeout(30, read=20)) as c:
        yield c


def test_a_stream_gives_the_feed_then_each_change_as_it_commits_once_and_in_order(client, sse, session):
    before = [make_article(session), make_article(session)]

    with sse.stream("GET", "/v1/changes", headers=SSE) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        assert "gazette-cache" not in response.headers
        stream = events(response)
        first = _take(stream, 2)
        later = [make_article(session) for _ in range(3)]
        then = _take(stream, 3)

    feed = _feed(client)
    assert [e["data"] for e in first + then] == feed
    assert [e["id"] for e in first + then] == [c["cursor"] for c in feed]
    assert [e["data"]["id"] for e in first + then] == [a.id for a in before + later]


def test_last_event_id_resumes_after_it_without_a_gap_or_a_repeat(client, sse, session):
    articles = [make_article(session) for _ in range(4)]
    feed = _feed(client)

    with sse.stream("GET", "/v1/changes", headers={**SSE, "Last-Event-ID": feed[1]["cursor"]}) as response:
        resumed = _take(events(response), 2)
    with sse.stream("GET", "/v1/changes", params={"since": feed[2]["cursor"]}, headers=SSE) as response:
        since = _take(events(response), 1)

    assert [e["data"]["id"] for e in resumed] == [a.id for a in articles[2:]]
    assert [e["data"]["id"] for e in since] == [articles[3].id]


def test_types_filters_the_stream_as_it_filters_the_pages(client, sse, session):
    make_article(session)
    make_person(session, "jeanne-d-arc")

    with sse.stream("GET", "/v1/changes", params={"types": "person"}, headers=SSE) as response:
        stream = events(response)
        first = _take(stream, 1)
        make_article(session)
        make_person(session, "victor-hugo")
        then = _take(stream, 1)

    assert [e["data"] for e in first + then] == _feed(client, types="person")


def test_an_idle_stream_sends_heartbeats(sse, monkeypatch):
    monkeypatch.setattr(get_settings(), "stream_heartbeat_seconds", 0.2)

    with sse.stream("GET", "/v1/changes", headers=SSE) as response:
        stream = events(response)
        assert next(stream) == {"retry": "2000"}
        assert next(stream) == {"comment": "heartbeat"}


def test_past_the_bound_a_stream_is_refused_with_503_and_retry_after_and_metrics_count_them(
    client, sse, server, monkeypatch
):
    monkeypatch.setattr(get_settings(), "stream_max_connections", 1)

    def open_streams() -> float:
        text = client.get("/metrics").text
        return float(re.search(r"^gazette_change_streams (\S+)$", text, re.M).group(1))

    with sse.stream("GET", "/v1/changes", headers=SSE) as response:
        stream = events(response)  # held: a generator dropped closes the response under it
        assert next(stream) == {"retry": "2000"}
        refused = client.get("/v1/changes", headers=SSE)
        assert open_streams() == 1

    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) > 0
    with httpx.Client(base_url=server, timeout=10) as other:
        for _ in range(100):  # the server notices the client left at its next read or write
            if open_streams() == 0:
                break
            other.get("/healthz")
        assert open_streams() == 0
        assert other.get("/v1/changes", headers=SSE, params={"types": "nothing"}).status_code == 400


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"types": "article,nothing"}, {}, "types"),
        ({"since": "not-a-cursor"}, {}, "since"),
        ({}, {"Last-Event-ID": "not-a-cursor"}, "Last-Event-ID"),
    ],
)
def test_a_bad_start_is_a_400_naming_it(client, params, headers, field):
    response = client.get("/v1/changes", params=params, headers={**SSE, **headers})

    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}


def test_the_json_pages_vary_on_accept_and_stay_cached(client, session):
    make_article(session)

    client.get("/v1/changes")
    page = client.get("/v1/changes")

    assert page.headers["gazette-cache"] == "HIT"
    assert "accept" in page.headers["vary"].lower()


def test_a_write_through_the_api_reaches_an_open_stream(client, sse, session):
    headers = desk(session)
    with sse.stream("GET", "/v1/changes", params={"types": "article"}, headers=SSE) as response:
        stream = events(response)
        assert next(stream) == {"retry": "2000"}
        article = create(client, headers, title="En direct", status="published")
        got = _take(stream, 1)

    assert got[0]["data"]["id"] == article["id"] and got[0]["data"]["op"] == "upsert"
