"""The purger: follows the purge log (`cache_purge`, written in each purging transaction on
both engines) and sends each purge on to a CDN, without gaps across restarts.

- **Position.** It keeps the id up to which every purge was delivered in a small JSON file
  (`GAZETTE_PURGER_STATE_FILE`, rewritten every SAVE_EVERY_SECONDS) and resumes after it.
  Rows live 10 minutes (app/cache/listener.py prunes them): when rows it had not read may be
  gone (it was stopped, or could not read, for longer than TRUSTED_ABSENCE), it purges
  everything and logs why. A first start, with no position, purges everything too.
- **Order and holes.** On PostgreSQL ids are taken at insert and committed in another order: a
  row with a smaller id may appear after a larger one. Each row is sent once, when first seen;
  the position moves only over ids seen, or over a hole older than HOLE_SECONDS (a rolled-back
  transaction's id, which never comes).
- **Batches and retries.** Keys waiting are merged and sent in batches of the target's size;
  a failed batch stays waiting and is tried again after a backoff that doubles up to
  GAZETTE_PURGER_RETRY_MAX_SECONDS. The position is saved only when nothing waits.
- **Metrics.** `gazette_purger_*` counters on the purger's own `/metrics` port
  (GAZETTE_PURGER_METRICS_PORT), as `gazette worker` has none and a node's workers share theirs.
"""

import functools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import Engine, func, select
from sqlmodel import col

from app.cache.listener import KEEP_SECONDS
from app.cache.surrogates import encode_key
from app.cdn.targets import EVERYTHING, Request, Target, send
from app.store.models.cache import CachePurge
from app.store.replicas import WATCH

log = logging.getLogger("gazette.purger")

POLL_SECONDS = 0.1
HOLE_SECONDS = 5.0
SAVE_EVERY_SECONDS = 30.0
READ_ROWS = 1_000
# Away longer than this, rows it had not read may have been pruned (KEEP_SECONDS, less a margin).
TRUSTED_ABSENCE = KEEP_SECONDS * 0.8

REGISTRY = CollectorRegistry()
SENT_KEYS = Counter("gazette_purger_keys_sent", "Surrogate keys the CDN accepted.", registry=REGISTRY)
REQUESTS = Counter(
    "gazette_purger_requests", "Purge requests sent, by outcome (ok, failed).", ["outcome"], registry=REGISTRY
)
EVERYTHING_PURGES = Counter(
    "gazette_purger_purge_everything", "Purges of everything, by reason.", ["reason"], registry=REGISTRY
)
WAITING = Gauge("gazette_purger_keys_waiting", "Keys read and not yet accepted by the CDN.", registry=REGISTRY)
POSITION = Gauge("gazette_purger_position", "The cache_purge id up to which every purge was sent.", registry=REGISTRY)
LAG = Gauge(
    "gazette_purger_lag_seconds", "Age of the oldest purge read and not yet accepted (0 when none).", registry=REGISTRY
)


@dataclass
class Saved:
    position: int
    saved_at: float  # time.time()


class State:
    """The position, in a JSON file written atomically (a rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Saved | None:
        try:
            data = json.loads(self.path.read_text())
            return Saved(int(data["position"]), float(data["saved_at"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            log.warning("purger state %s is unreadable; starting as if new", self.path)
            return None

    def save(self, position: int) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"position": position, "saved_at": time.time()}))
        os.replace(tmp, self.path)


def keys_of(payload: str) -> set[str]:
    """The keys of a broadcast (`@origin key key …`), as the Surrogate-Key header names them."""
    parts = payload.split()
    if parts and parts[0].startswith("@"):
        parts = parts[1:]
    return {EVERYTHING} if EVERYTHING in parts else {encode_key(k) for k in parts}


# After every replica has replayed a write, the nodes purge their own caches again within their
# watch's round (50 ms); the CDN is purged again this long after, so that what it fetches
# anew is not a node's copy of the old version.
AGAIN_AFTER_SECONDS = 0.5


class Purger:
    def __init__(
        self,
        engine: Engine,
        target: Target,
        state: State,
        *,
        client: httpx.Client | None = None,
        retry_max_seconds: float = 30.0,
    ) -> None:
        self.engine, self.target, self.state = engine, target, state
        self.client = client or httpx.Client(timeout=10)
        self.retry_max = retry_max_seconds
        self.position = 0
        self.seen: set[int] = set()
        self.holes: dict[int, float] = {}
        self.waiting: set[str] = set()
        self.waiting_since: float | None = None
        self.everything_waiting: str | None = None  # the reason, when everything must go
        self.failures = 0
        self.retry_at = 0.0
        self.saved = -1
        self.saved_at = self.read_at = time.monotonic()
        self.stop = threading.Event()
        # Purges to send once more, once every read replica has replayed their write
        # (app/store/replicas.py): put here by the replica watch's thread, with when they are due.
        self.again: list[tuple[float, frozenset[str]]] = []
        self.again_lock = threading.Lock()

    # Reading the log

    def start(self) -> None:
        """Pick up where the last run left off, or decide that everything must be purged."""
        with self.engine.connect() as c:
            head = c.scalar(select(func.max(col(CachePurge.id)))) or 0
        self.read_at = time.monotonic()
        saved = self.state.load()
        # Ids may skip (a rolled-back write's), so only time tells whether unread rows were
        # pruned: none can have been while the purger was away less than they are kept.
        if saved is None:
            self._everything(f"no saved position in {self.state.path}: the CDN may hold anything", head)
        elif (away := time.time() - saved.saved_at) > TRUSTED_ABSENCE:
            self._everything(f"gap: away {away:.0f} s, longer than purges are kept ({KEEP_SECONDS} s)", head)
        elif head < saved.position:
            self._everything(f"the purge log is behind the saved position {saved.position} (a new database?)", head)
        else:
            self.position = saved.position
            log.warning("purger resuming after purge %d", self.position)
        POSITION.set(self.position)

    def _everything(self, reason: str, head: int) -> None:
        log.warning("purging everything: %s", reason)
        EVERYTHING_PURGES.labels(reason=reason.split(":", maxsplit=1)[0].split(" (", maxsplit=1)[0][:40]).inc()
        self.everything_waiting = reason
        self.waiting.clear()
        self.position, self.seen, self.holes = head, set(), {}
        self.waiting_since = self.waiting_since or time.monotonic()

    def read(self) -> int:
        """New rows of the log: their keys join those waiting. How many rows were new."""
        if time.monotonic() - self.read_at > TRUSTED_ABSENCE:  # the database was away, or this stood still
            self._everything(f"gap: no read for {time.monotonic() - self.read_at:.0f} s", self.position)
        with self.engine.connect() as c:
            rows = c.execute(
                select(col(CachePurge.id), col(CachePurge.keys))
                .where(col(CachePurge.id) > self.position)
                .order_by(col(CachePurge.id))
                .limit(READ_ROWS)
            ).all()
        self.read_at = time.monotonic()
        new = 0
        for row in rows:
            if row.id in self.seen:
                continue
            self.seen.add(row.id)
            new += 1
            keys = keys_of(row.keys)
            # A node may have read the old rows from a replica after this purge and the CDN kept
            # that answer: the purge goes again once every replica has replayed the write.
            WATCH.when_replayed(functools.partial(self._again, frozenset(keys)))
            if EVERYTHING in keys:
                self._everything(f"purge {row.id} named every response (*)", self.position)
                self.seen.add(row.id)
            elif self.everything_waiting is None:
                self.waiting |= keys
                self.waiting_since = self.waiting_since or time.monotonic()
        self._advance()
        return new

    def _again(self, keys: frozenset[str]) -> None:
        with self.again_lock:
            self.again.append((time.monotonic() + AGAIN_AFTER_SECONDS, keys))

    def _take_again(self) -> None:
        now = time.monotonic()
        with self.again_lock:
            again = [keys for due, keys in self.again if due <= now]
            self.again = [(due, keys) for due, keys in self.again if due > now]
        for keys in again:
            if EVERYTHING in keys:
                if self.everything_waiting is None:
                    self.everything_waiting = "replayed by the replicas"
                    self.waiting_since = self.waiting_since or time.monotonic()
            elif self.everything_waiting is None:
                self.waiting |= keys
                self.waiting_since = self.waiting_since or time.monotonic()

    def _advance(self) -> None:
        now = time.monotonic()
        while self.seen:
            following = self.position + 1
            if following in self.seen:
                self.seen.discard(following)
                self.holes.pop(following, None)
                self.position = following
                continue
            if now - self.holes.setdefault(following, now) > HOLE_SECONDS:
                self.holes.pop(following)
                self.position = following  # a rolled-back transaction's id: it never comes
                continue
            break

    # Sending

    def flush(self) -> bool:
        """Send what waits (unless backing off); True when nothing is left waiting."""
        if time.monotonic() < self.retry_at:
            return False
        try:
            if self.everything_waiting is not None:
                for request in self.target.everything():
                    self._send(request, 0)
                self.everything_waiting = None
            keys = sorted(self.waiting)
            for start in range(0, len(keys), self.target.batch):
                batch = keys[start : start + self.target.batch]
                for request in self.target.requests(batch):
                    self._send(request, len(batch))
                self.waiting.difference_update(batch)
        except httpx.HTTPError as error:
            self.failures += 1
            delay = min(self.retry_max, 0.25 * 2 ** (self.failures - 1))
            self.retry_at = time.monotonic() + delay
            log.warning(
                "purge to %s failed (%s); %d keys wait, next try in %.2f s",
                self.target.name,
                error,
                len(self.waiting),
                delay,
            )
            return False
        finally:
            WAITING.set(len(self.waiting))
        self.failures = 0
        self.waiting_since = None
        return True

    def _send(self, request: Request, keys: int) -> None:
        try:
            send(self.client, self.target, request)
        except httpx.HTTPError:
            REQUESTS.labels(outcome="failed").inc()
            raise
        REQUESTS.labels(outcome="ok").inc()
        SENT_KEYS.inc(keys)

    def round(self) -> None:
        """One round: read new rows, send, and save the position when nothing waits."""
        self.read()
        self._take_again()
        done = self.flush()
        LAG.set(time.monotonic() - self.waiting_since if self.waiting_since is not None else 0)
        POSITION.set(self.position)
        # Saved when it moves, and now and then (its time says how long a stop lasted).
        if done and (self.position != self.saved or time.monotonic() - self.saved_at > SAVE_EVERY_SECONDS):
            self.state.save(self.position)  # rows past a hole, sent already, may be sent again
            self.saved, self.saved_at = self.position, time.monotonic()

    def run(self, poll_seconds: float = POLL_SECONDS) -> None:
        self.start()
        while not self.stop.is_set():
            try:
                self.round()
            except Exception:
                log.warning("purger round failed; trying again", exc_info=True)
                self.stop.wait(1.0)
            self.stop.wait(poll_seconds)
