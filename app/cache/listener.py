"""Hearing other processes' purges: LISTEN on PostgreSQL, polling cache_purge on SQLite.

One thread per process. While it is not hearing (not started yet, or the database went
away), the store keeps nothing, and it is emptied each time hearing starts again: a purge
missed meanwhile can then never leave a stale response behind.
"""

import logging
import threading
import time
from datetime import timedelta

import psycopg
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from app.cache.purge import CHANNEL, apply, heard
from app.cache.store import STORE
from app.settings import get_settings
from app.store.engine import get_engine
from app.store.models.cache import CachePurge
from app.store.models.common import utcnow

log = logging.getLogger("gazette.cache")

POLL_SECONDS = 0.2
KEEP_SECONDS = 600  # cache_purge rows older than this are pruned
PRUNE_EVERY_SECONDS = 60
PING_EVERY_SECONDS = 10  # a connection that died silently shows up within this
RETRY_SECONDS = 1.0
THREAD_NAME = "gazette-cache-listener"


class PurgeListener:
    """Started by the app's lifespan; several apps in one process share it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._hearing = threading.Event()

    def start(self, wait: float = 5.0) -> None:
        with self._lock:
            self._users += 1
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
                self._thread.start()
        # Serving before hearing is safe (nothing is stored), but slower: wait a little.
        self._hearing.wait(wait)

    def stop(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._stop.set()
        thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            engine = get_engine()
            try:
                if engine.dialect.name == "postgresql":
                    self._listen(engine)
                else:
                    self._poll(engine)
            except Exception:
                log.warning("not hearing cache purges; retrying", exc_info=True)
            finally:
                self._deaf()
            self._stop.wait(RETRY_SECONDS)

    def _hear(self) -> None:
        STORE.clear()
        STORE.accepting = True
        self._hearing.set()

    def _deaf(self) -> None:
        self._hearing.clear()
        STORE.accepting = False
        STORE.clear()

    def _listen(self, engine: Engine) -> None:
        # LISTEN holds its session: through a pooler in transaction mode it would hear nothing.
        url = make_url(get_settings().database_listen_url or engine.url).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._hear()
            pinged = pruned = time.monotonic()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.5):
                    heard(note.payload)
                if time.monotonic() - pinged > PING_EVERY_SECONDS:
                    conn.execute("SELECT 1")
                    pinged = time.monotonic()
                if time.monotonic() - pruned > PRUNE_EVERY_SECONDS:
                    pruned = time.monotonic()
                    _prune(engine)

    def _poll(self, engine: Engine) -> None:
        with engine.connect() as c:
            last = c.scalar(select(func.max(col(CachePurge.id)))) or 0
        self._hear()
        pruned = polled = time.monotonic()
        while not self._stop.wait(POLL_SECONDS):
            with engine.connect() as c:
                rows = c.execute(
                    select(col(CachePurge.id), col(CachePurge.keys))
                    .where(col(CachePurge.id) > last)
                    .order_by(col(CachePurge.id))
                ).all()
            if time.monotonic() - polled > KEEP_SECONDS / 2:
                apply({"*"})  # this thread stood still so long that rows may have been pruned unread
            polled = time.monotonic()
            for row in rows:
                heard(row.keys)
                last = row.id
            if time.monotonic() - pruned > PRUNE_EVERY_SECONDS:
                pruned = time.monotonic()
                _prune(engine)


def _prune(engine: Engine) -> None:
    """Drop cache_purge rows older than KEEP_SECONDS (every process does it, now and then)."""
    with engine.begin() as c:
        c.execute(delete(CachePurge).where(col(CachePurge.at) < utcnow() - timedelta(seconds=KEEP_SECONDS)))


LISTENER = PurgeListener()
