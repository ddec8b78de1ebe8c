"""The change feed as server-sent events: GET /v1/changes with Accept: text/event-stream.

Every event is one item of the feed, its `id` the item's cursor, so a client that comes back
with `Last-Event-ID` (or `since`) reads on from there, on this node or any other: the stream
is the feed, read with the feed's own query (`feed.list_changes`) and cursor, and keeps its
promises (commit order, no gap, no repeat).

One `Hub` per process serves every stream. A commit that records a change purges the
surrogate key `changes` (`feed.record`), and every process hears every purge, its own at
commit and the others' through the purge listener (app/cache/listener.py: LISTEN on
PostgreSQL, one poller on SQLite); the hub follows the response cache's purges
(`STORE.followers`) and, on each one that names the feed, reads what is new once, with no
filter, and hands it to every stream, which keeps the types it was asked for. A stream's own
reads happen only when it opens (from its cursor to the end) and when it fell more than
BACKLOG changes behind (a slow client): then it reads on by itself rather than hold the
hub's changes in memory. No stream holds a database connection between its reads.

Why nothing is lost between a stream's own read and the hub's: the stream joins the hub
first and reads afterwards, so it reads at least as far as the hub had read when it joined
(what the feed serves only grows, at its end: see feed.py), and it skips whatever the hub
hands it that it already sent (a change at or before its cursor).
"""

import asyncio
import contextlib
import logging
import signal
import threading
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import anyio.to_thread
import orjson
from prometheus_client import Gauge
from sqlmodel import Session

from app.cache.store import STORE
from app.changes import feed
from app.changes.feed import ChangeParams
from app.http.problems import InvalidParameter, ServiceUnavailable
from app.settings import get_settings
from app.store.engine import get_primary_read_engine

log = logging.getLogger("gazette.changes")

STREAMS = Gauge(
    "gazette_change_streams",
    "Change streams open (GET /v1/changes as text/event-stream).",
    multiprocess_mode="livesum",
)
PAGE = 1_000  # changes per read
BACKLOG = 10_000  # changes a stream may have waiting; past them it reads on by itself
RETRY_MS = 2_000  # how long EventSource waits before it reconnects after the stream ends
RETRY_AFTER_SECONDS = 5  # what a stream refused (503) is told to wait
SETTLE_SECONDS = 0.2  # read again this soon when changes wait behind a running transaction
POLL_SECONDS = 5.0  # and this often whatever was heard: a purge missed while the listener reconnects

Key = tuple[int, int]  # (txid, id): a change's place in the feed


@dataclass(eq=False)
class Listener:
    """One open stream, as the hub sees it: the changes handed to it and not yet sent."""

    items: deque[tuple[Key, dict[str, Any]]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    behind: bool = False  # dropped what it had waiting: reads on by itself


def _page(after: Key, types: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """One page of the feed after `after` (blocking: in a thread). On the primary, as a reader
    that must see the latest commit; the session and its connection end with the page."""
    params = ChangeParams(since=feed.encode_cursor(*after), limit=PAGE, types=",".join(types) or None)
    with Session(get_primary_read_engine()) as session:
        return feed.list_changes(session, params)


def _tail() -> Key:
    with Session(get_primary_read_engine()) as session:
        return feed.tail(session)


def _event(item: dict[str, Any]) -> bytes:
    return b"id: " + item["cursor"].encode() + b"\ndata: " + orjson.dumps(item) + b"\n\n"


def start_after(params: ChangeParams, last_event_id: str | None) -> tuple[list[str], Key]:
    """The types a stream keeps and where it starts: after `Last-Event-ID` when sent, else
    after `since` (both 400 when they are not cursors of this feed)."""
    types, after = feed.read_params(params)
    if last_event_id:
        try:
            after = feed.decode_cursor(last_event_id)
        except InvalidParameter:
            raise InvalidParameter("Last-Event-ID", "not a cursor this feed issued") from None
    return types, after


class Hub:
    """Every change stream of one process (one per app, started by its lifespan)."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()
        self._position: Key | None = None  # how far the hub has read; None while nobody listens
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self.closing = False

    @property
    def open(self) -> int:
        return len(self._listeners)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """For the app's lifespan: follow purges, read for the streams, and end them when the
        process is told to stop (SIGTERM, SIGINT), so that shutting down does not wait for
        clients that never hang up: they come back with Last-Event-ID."""
        self._loop = asyncio.get_running_loop()
        self.closing = False
        STORE.followers.append(self._follow)
        restore = self._end_streams_on_signals()
        task = asyncio.create_task(self._run(), name="gazette-change-streams")
        try:
            yield
        finally:
            self.close()
            restore()
            STORE.followers.remove(self._follow)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._loop = None

    def close(self) -> None:
        """End every stream (each sends what it holds, then its response ends)."""
        self.closing = True
        for listener in self._listeners:
            listener.wake.set()

    def _follow(self, keys: frozenset[str]) -> None:
        """A purge, in this process or heard from another (any thread): read if it names the feed."""
        loop = self._loop
        if loop is not None and (feed.FEED_KEY in keys or "*" in keys):
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake.set)

    def _end_streams_on_signals(self) -> Callable[[], None]:
        # uvicorn handles SIGTERM by waiting for open responses to end: tell the streams first.
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        chained: dict[int, Any] = {}

        def stopping(number: int, frame: FrameType | None) -> None:
            loop = self._loop
            if loop is not None:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self.close)
            prior = chained.get(number)
            if callable(prior):
                prior(number, frame)

        for number in (signal.SIGTERM, signal.SIGINT):
            prior = signal.getsignal(number)
            if callable(prior):
                chained[number] = prior
                signal.signal(number, stopping)

        def restore() -> None:
            for number, prior in chained.items():
                if signal.getsignal(number) is stopping:
                    signal.signal(number, prior)

        return restore

    async def join(self) -> Listener:
        """A new stream's place; 503 past `stream_max_connections` or while stopping."""
        if self.closing:
            raise ServiceUnavailable(
                "This node is stopping; open the stream again.", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
            )
        if len(self._listeners) >= get_settings().stream_max_connections:
            raise ServiceUnavailable(
                f"This node holds {len(self._listeners)} change streams, its most; try again later "
                "or read the feed as JSON.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        listener = Listener()
        async with self._lock:
            if self._position is None:
                self._position = await anyio.to_thread.run_sync(_tail)
            self._listeners.add(listener)
        STREAMS.inc()
        return listener

    def leave(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.discard(listener)
            STREAMS.dec()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()
            try:
                await self._read()
            except Exception:
                log.warning("could not read the change feed for its streams; trying again", exc_info=True)
                await asyncio.sleep(1)
                self._wake.set()

    async def _read(self) -> None:
        """What is new since the hub last read, once for every stream."""
        async with self._lock:
            if not self._listeners:
                self._position = None  # nobody to read for: the next stream starts it anew
                return
            position = self._position
            assert position is not None
            while True:
                items, meta, settled = await anyio.to_thread.run_sync(_page, position, [])
                if items:
                    batch = [(feed.decode_cursor(item["cursor"]), item) for item in items]
                    position = self._position = batch[-1][0]
                    self._hand_out(batch)
                if not meta["has_more"]:
                    break
            if not settled and self._loop is not None:
                self._loop.call_later(SETTLE_SECONDS, self._wake.set)

    def _hand_out(self, batch: list[tuple[Key, dict[str, Any]]]) -> None:
        for listener in self._listeners:
            if listener.behind:
                continue
            if len(listener.items) + len(batch) > BACKLOG:
                listener.items.clear()
                listener.behind = True
            else:
                listener.items.extend(batch)
            listener.wake.set()

    async def events(self, listener: Listener, types: list[str], after: Key) -> AsyncIterable[bytes]:
        """The stream's body: the feed after `after`, then each change as the hub hands it on,
        a comment line when nothing came for `stream_heartbeat_seconds`."""
        heartbeat = get_settings().stream_heartbeat_seconds
        wanted = frozenset(types)
        cursor = after
        read_by_itself = True  # first from its cursor to the end of the feed
        yield f"retry: {RETRY_MS}\n\n".encode()
        while not self.closing:
            if read_by_itself or listener.behind:
                listener.behind = read_by_itself = False
                while not self.closing:
                    items, meta, _ = await anyio.to_thread.run_sync(_page, cursor, types)
                    if items:
                        cursor = feed.decode_cursor(items[-1]["cursor"])
                        yield b"".join(_event(item) for item in items)
                    if not meta["has_more"]:
                        break
                continue
            if not listener.items:
                listener.wake.clear()
                try:
                    await asyncio.wait_for(listener.wake.wait(), heartbeat)
                except TimeoutError:
                    yield b": heartbeat\n\n"
                continue
            chunk = []
            while listener.items:
                key, item = listener.items.popleft()
                if key <= cursor:
                    continue  # sent already, by its own read
                cursor = key
                if not wanted or item["type"] in wanted:
                    chunk.append(_event(item))
            if chunk:
                yield b"".join(chunk)
