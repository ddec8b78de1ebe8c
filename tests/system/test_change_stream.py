"""The change stream with real server processes: a client that comes back with Last-Event-ID
after the server restarts loses nothing, and one worker serves hundreds of streams, each of
which gets every change once, in order, while the writes go on."""

import asyncio
import threading
import time

import httpx
import pytest

from tests.support.events import aevents, events
from tests.support.factories import make_article
from tests.support.processes import gazette_process, gazette_serve

SSE = {"Accept": "text/event-stream"}
STREAMS = 500  # on one worker
CHANGES = 30


def _feed(url: str, since: str | None = None) -> list[dict]:
    items = []
    with httpx.Client(base_url=url, timeout=30) as client:
        while True:
            body = client.get("/v1/changes", params={"limit": 1000, **({"since": since} if since else {})}).json()
            items += body["data"]
            since = body["meta"]["next_cursor"]
            if not body["meta"]["has_more"]:
                return items


def _tail(url: str) -> str:
    with httpx.Client(base_url=url, timeout=30) as client:
        meta = client.get("/v1/changes", params={"limit": 1000}).json()["meta"]
        while meta["has_more"]:
            meta = client.get("/v1/changes", params={"limit": 1000, "since": meta["next_cursor"]}).json()["meta"]
        return meta["next_cursor"]


class Follower(threading.Thread):
    """A client that reads the stream at `url["now"]`, and whenever the stream ends or the server
    cannot be reached, connects again (to wherever `url["now"]` says) with Last-Event-ID."""

    def __init__(self, url: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.url, self.received, self.connections, self.stop = url, [], 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            headers = dict(SSE)
            if self.received:
                headers["Last-Event-ID"] = self.received[-1]["id"]
            try:
                with httpx.stream(
                    "GET", f"{self.url['now']}/v1/changes", headers=headers, timeout=httpx.Timeout(5, read=5)
                ) as response:
                    if response.status_code != 200:
                        raise httpx.TransportError(f"status {response.status_code}")
                    self.connections += 1
                    for event in events(response):
                        if "data" in event:
                            self.received.append(event)
                        if self.stop.is_set():
                            return
            except httpx.HTTPError:
                time.sleep(0.2)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.received) >= count, f"{len(self.received)} of {count} changes received"


@pytest.mark.slow
def test_a_listener_resumes_with_last_event_id_across_a_server_restart_without_loss(database_url, session):
    url: dict[str, str] = {}
    follower = Follower(url)
    written = []
    with gazette_process(database_url, GAZETTE_STREAM_HEARTBEAT_SECONDS="0.5") as first:
        url["now"] = first
        written += [make_article(session) for _ in range(3)]
        follower.start()
        follower.wait_for(3)
        written += [make_article(session) for _ in range(3)]
        follower.wait_for(6)
        # Stopped with the stream open: the server ends it (SIGTERM) instead of waiting for the client.
    written += [make_article(session) for _ in range(4)]  # while no server runs
    with gazette_process(database_url, GAZETTE_STREAM_HEARTBEAT_SECONDS="0.5") as second:
        url["now"] = second
        written += [make_article(session) for _ in range(2)]
        follower.wait_for(12)
        follower.stop.set()
        feed = _feed(second)

    assert follower.connections >= 2
    assert [e["data"] for e in follower.received] == feed  # each change once, in commit order
    assert [e["id"] for e in follower.received] == [c["cursor"] for c in feed]
    assert [e["data"]["id"] for e in follower.received] == [a.id for a in written]


async def _listen(since: str, opened: list, done: asyncio.Event, client: httpx.AsyncClient) -> list[dict]:
    received: list[dict] = []
    async with client.stream("GET", "/v1/changes", params={"since": since}, headers=SSE) as response:
        assert response.status_code == 200, await response.aread()
        async for event in aevents(response):
            if "retry" in event:
                opened.append(1)
                if len(opened) == STREAMS:
                    done.set()
            elif "data" in event:
                received.append(event["data"])
                if len(received) == CHANGES:
                    return received
    return received


@pytest.mark.slow
def test_hundreds_of_streams_on_one_worker_each_get_every_change_once_in_order(database_url, session):
    with gazette_serve(database_url, "--workers", "1", start_within=120) as (url, _log):
        since = _tail(url)

        async def run() -> list[list[dict]]:
            opened: list = []
            all_open = asyncio.Event()
            limits = httpx.Limits(max_connections=STREAMS + 10, max_keepalive_connections=STREAMS + 10)
            async with httpx.AsyncClient(base_url=url, limits=limits, timeout=httpx.Timeout(120)) as client:
                tasks = [asyncio.create_task(_listen(since, opened, all_open, client)) for _ in range(STREAMS)]
                await asyncio.wait_for(all_open.wait(), 120)
                async with httpx.AsyncClient(base_url=url, timeout=30) as probe:
                    metrics = (await probe.get("/metrics")).text
                assert f"gazette_change_streams {float(STREAMS)}" in metrics
                for _ in range(CHANGES):  # writes go on while the streams read
                    await asyncio.to_thread(make_article, session)
                    await asyncio.sleep(0.02)
                return await asyncio.wait_for(asyncio.gather(*tasks), 240)

        streams = asyncio.run(run())
        feed = _feed(url, since)

    assert len(feed) == CHANGES
    assert len(streams) == STREAMS
    for received in streams:
        assert received == feed
