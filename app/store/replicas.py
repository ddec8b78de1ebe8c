"""Read replicas: where public reads go, how far behind each replica is, and what waits for
a replica to replay a write.

One thread per process (`WATCH`, started by the first read or the first wait) measures, every
`POLL_SECONDS`, the primary's WAL insert position (`pg_current_wal_insert_lsn()`) and each
replica's replayed position (`pg_last_wal_replay_lsn()`):

- A replica's lag is how long ago the primary first stood past the position the replica has
  replayed (0 when it has replayed everything the primary had written). Past
  `GAZETTE_REPLICA_MAX_LAG_SECONDS`, or when it does not answer, a replica is out of use and
  reads go to another, or to the primary.
- `when_replayed(callback)` runs the callback once every replica has replayed the WAL that
  the primary had written when it was called (a position measured after the call, so at or
  past a commit that came before it). The response cache purges again then (app.cache.purge),
  and so does `gazette purger`: a response computed on a replica between a write's commit and
  its replay there shows the old version, and is dropped as soon as the replica has the new.
"""

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from sqlalchemy.engine import make_url

from app.settings import get_settings

log = logging.getLogger("gazette.db")

POLL_SECONDS = 0.05
CONNECT_TIMEOUT_SECONDS = 2
# Callbacks waiting for a replica that stays behind or away are all run after this long
# (their purges are then at worst late; the replica is out of use past the lag bound).
MAX_WAIT_SECONDS = 300.0
MAX_WAITING = 10_000  # past this many waiting callbacks, the oldest are run at once


def replica_urls() -> list[str]:
    """Every configured replica: GAZETTE_DATABASE_REPLICA_URLS (comma-separated), then the older
    single GAZETTE_DATABASE_REPLICA_URL, without repeats."""
    settings = get_settings()
    urls = [u.strip() for u in (settings.database_replica_urls or "").split(",")]
    urls.append((settings.database_replica_url or "").strip())
    return list(dict.fromkeys(u for u in urls if u))


def label(url: str) -> str:
    """A replica as metrics and /readyz name it: host:port/database, never its password."""
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def _lsn(text: str | None) -> int | None:
    """A pg_lsn ('16/B374D848') as a number."""
    if not text:
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Replica:
    url: str
    name: str
    up: bool = False
    replayed: int | None = None
    lag_seconds: float | None = None  # None until measured
    connection: psycopg.Connection | None = field(default=None, repr=False)


@dataclass
class Waiting:
    callback: Callable[[], object]
    since: float
    position: int | None = None  # the primary's insert position, measured after the call


class Watch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.replicas: list[Replica] = []
        self.samples: deque[tuple[float, int]] = deque()  # (monotonic time, primary position)
        self.waiting: deque[Waiting] = deque()
        self.measured = threading.Event()
        # Called (in the watching thread) when public reads move to another database: a replica
        # out of use, or back in use. The response cache empties itself then (app.cache.purge):
        # what it kept was read from the database the reads are leaving.
        self.on_switch: list[Callable[[], object]] = []
        self._target: str | None = None
        self._settings: object = None
        self._configured = False

    # Configuration and the thread

    def configured(self) -> bool:
        """Whether replicas are set (on PostgreSQL); worked out once per settings object, as
        every public read asks."""
        settings = get_settings()
        if self._settings is not settings:
            self._configured = bool(replica_urls()) and settings.database_url.startswith(("postgresql", "postgres"))
            self._settings = settings
        return self._configured

    def ensure_started(self) -> bool:
        """Start the watching thread in this process if replicas are configured; whether they are."""
        if not self.configured():
            return False
        if self._pid == os.getpid() and self._thread is not None:
            return True
        with self._lock:
            if self._pid != os.getpid() or self._thread is None:
                self._pid = os.getpid()
                self.replicas = [Replica(url, label(url)) for url in replica_urls()]
                self.samples.clear()
                self.waiting.clear()
                self.measured.clear()
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="gazette-replica-watch", daemon=True)
                self._thread.start()
        return True

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join(timeout=5)

    def _run(self) -> None:
        primary: psycopg.Connection | None = None
        while not self._stop.is_set():
            try:
                if primary is None or primary.closed:
                    primary = psycopg.connect(
                        _conninfo(get_settings().database_url),
                        autocommit=True,
                        connect_timeout=CONNECT_TIMEOUT_SECONDS,
                        application_name="gazette-replica-watch",
                    )
                self.round(primary)
            except psycopg.Error:
                log.warning("replica watch: the primary does not answer; retrying", exc_info=True)
                if primary is not None:
                    primary.close()
                primary = None
                self._stop.wait(1.0)
            except Exception:
                log.exception("replica watch round failed")
                self._stop.wait(1.0)
            self._stop.wait(POLL_SECONDS)
        if primary is not None:
            primary.close()
        for replica in self.replicas:
            if replica.connection is not None:
                replica.connection.close()

    # One round

    def round(self, primary: psycopg.Connection) -> None:
        with self._lock:
            unstamped = [w for w in self.waiting if w.position is None]
        row = primary.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
        position = _lsn(row[0] if row else None) or 0
        now = time.monotonic()
        for w in unstamped:  # each was waiting before the position was read: it covers their commits
            w.position = position
        if not self.samples or self.samples[-1][1] != position:
            self.samples.append((now, position))
        for replica in self.replicas:
            self._measure(replica, now)
        if self.replicas:
            behind = min((r.replayed for r in self.replicas if r.replayed is not None), default=position)
            while len(self.samples) > 1 and self.samples[1][1] <= behind:
                self.samples.popleft()  # only the oldest position not yet replayed everywhere matters
        target = self.read_url() or ""
        if self.measured.is_set() and target != self._target:
            log.warning("public reads move to %s", label(target) if target else "the primary")
            for callback in self.on_switch:
                callback()
        self._target = target
        self.measured.set()
        self._run_due(now)

    def _measure(self, replica: Replica, now: float) -> None:
        try:
            if replica.connection is None or replica.connection.closed:
                replica.connection = psycopg.connect(
                    _conninfo(replica.url),
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    application_name="gazette-replica-watch",
                )
            row = replica.connection.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
        except psycopg.Error as error:
            if replica.up or replica.lag_seconds is None:
                log.warning("replica %s does not answer (%s): reads go elsewhere", replica.name, error)
            replica.up, replica.lag_seconds = False, None
            if replica.connection is not None:
                replica.connection.close()
            replica.connection = None
            return
        replayed = _lsn(row[0] if row else None)
        if replayed is None:  # not in recovery: a promoted replica, or a primary named as one
            replayed = self.samples[-1][1] if self.samples else 0
        replica.up, replica.replayed = True, replayed
        ahead = next((t for t, p in self.samples if p > replayed), None)
        replica.lag_seconds = 0.0 if ahead is None else now - ahead

    def _run_due(self, now: float) -> None:
        up = [r.replayed for r in self.replicas if r.up and r.replayed is not None]
        everywhere = min(up) if len(up) == len(self.replicas) else None
        due: list[Waiting] = []
        with self._lock:
            while self.waiting:
                first = self.waiting[0]
                ready = first.position is not None and everywhere is not None and first.position <= everywhere
                if not (ready or now - first.since > MAX_WAIT_SECONDS or len(self.waiting) > MAX_WAITING):
                    break
                due.append(self.waiting.popleft())
        for w in due:
            try:
                w.callback()
            except Exception:
                log.exception("a callback waiting for the replicas failed")

    # What the rest of Gazette asks

    def when_replayed(self, callback: Callable[[], object]) -> None:
        """Run `callback` (in the watching thread) once every replica has replayed what the
        primary has written by now. Without replicas, never."""
        if not self.ensure_started():
            return
        with self._lock:
            self.waiting.append(Waiting(callback, time.monotonic()))

    def in_bound(self, replica: Replica) -> bool:
        return (
            replica.up
            and replica.lag_seconds is not None
            and replica.lag_seconds <= get_settings().replica_max_lag_seconds
        )

    def preferred_url(self) -> str | None:
        """The replica this process reads from while it is in use (None without replicas)."""
        if not self.ensure_started() or not self.replicas:
            return None
        return self.replicas[os.getpid() % len(self.replicas)].url

    def read_url(self) -> str | None:
        """The replica public reads go to now, or None for the primary: this process's own
        choice among those in use (spreading processes over replicas), else the next one."""
        if not self.ensure_started():
            return None
        replicas = self.replicas
        if not replicas:
            return None
        start = os.getpid() % len(replicas)
        for replica in replicas[start:] + replicas[:start]:
            if self.in_bound(replica):
                return replica.url
        return None

    def status(self) -> list[dict[str, object]]:
        """Each replica as /readyz and /metrics show it."""
        current = self.read_url()
        return [
            {
                "name": r.name,
                "up": r.up,
                "lag_seconds": None if r.lag_seconds is None else round(r.lag_seconds, 3),
                "in_use": r.url == current,
            }
            for r in self.replicas
        ]


WATCH = Watch()
