"""SQLite as Gazette runs it: its pragmas, the writer gate, the WAL checkpointer, the event
loop's reader."""

import logging
import os
import sqlite3
import threading
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from app.settings import get_settings

log = logging.getLogger("gazette.db")

SQLITE_MMAP_BYTES = 1 << 30  # address space, not memory: pages are the OS cache's
# Every thread of the request threadpool (40) and the background jobs can hold a connection;
# a SQLite connection costs little to keep, and a new one must parse the schema again and
# starts with a cold cache, so the pool keeps them all instead of opening and closing overflow.
SQLITE_POOL_SIZE = 48


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; busy_timeout makes writers queue
    # instead of failing with "database is locked" when several workers share the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    if CHECKPOINTER.running:  # it copies the log back; commits leave that to it
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    # Once a checkpoint has copied the whole log back, the next writer starts it over and cuts
    # the file down to this; without it the file keeps its largest size (359 MB for a 20 MB
    # database under six writers).
    cursor.execute(f"PRAGMA journal_size_limit={get_settings().sqlite_wal_limit_bytes}")
    # Reads go through the OS page cache mapped into memory, shared by every connection,
    # instead of each connection warming its own small page cache.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


SQLITE_BUSY_SECONDS = 10
_GATED = "gazette_writer_gate"


class WriterGate:
    """The writers of one process queue here, before SQLite's lock.

    SQLite's busy handler makes a waiting writer sleep and retry (1, 2, 5 … 100 ms), so under
    load the lock sits free while writers sleep, and one writer can lose every retry for a
    second. A thread waiting on a lock of its own is woken the moment it is let go (which
    waiter goes first is the OS's choice, not strictly arrival order). The
    gate is taken at BEGIN IMMEDIATE and let go when the connection goes back to the pool
    (a session gives it back at commit or rollback); other processes on the same file still
    meet in SQLite's busy handler. A thread that cannot get it within the busy timeout goes on
    to SQLite's lock as before, so the gate can slow nothing down forever."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def enter(self, info: dict[Any, Any]) -> None:
        if _GATED not in info and self._lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            info[_GATED] = self

    @staticmethod
    def leave(info: dict[Any, Any]) -> None:
        gate = info.pop(_GATED, None)
        if gate is not None:
            gate._lock.release()


class Checkpointer:
    """Copies SQLite's write-ahead log back into the database file, in a thread of its own.

    By default SQLite does it in the commit that takes the log past 1,000 pages: with a
    write touching twenty-odd pages, one write in about forty also copied the log and synced
    the file, holding the write lock meanwhile (a PATCH's commit: p99 9 ms, against 3 ms
    without; bench/README.md). While this runs (the app's lifespan starts it), the process's
    connections leave checkpoints to it (`wal_autocheckpoint=0`), and it runs a PASSIVE one,
    which waits for no reader or writer, every CHECKPOINT_SECONDS. Processes without it (the
    CLI, scripts) keep SQLite's own. Connections opened before it started keep theirs too,
    which costs a little time and nothing else."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.running = False

    def start(self, engine: Engine) -> None:
        if engine.dialect.name != "sqlite":
            return
        with self._lock:
            self._users += 1
            if self._thread is None:
                self._stop.clear()
                self.running = True
                self._thread = threading.Thread(target=self._run, args=(engine,), name=CHECKPOINT_THREAD, daemon=True)
                self._thread.start()

    def stop(self, engine: Engine) -> None:
        if engine.dialect.name != "sqlite":
            return
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self.running = False
            self._stop.set()
        thread.join(timeout=10)

    def _run(self, engine: Engine) -> None:
        connection = engine.raw_connection()
        log_file = f"{engine.url.database}-wal"
        limit = get_settings().sqlite_wal_limit_bytes
        try:
            while not self._stop.wait(CHECKPOINT_SECONDS):
                try:
                    cursor = connection.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    if _size(log_file) > limit:
                        _truncate(cursor)
                except Exception:
                    log.warning("WAL checkpoint failed; trying again", exc_info=True)
        finally:
            connection.close()


# How long a TRUNCATE checkpoint waits for readers to leave the log: while it waits, writers
# wait too, so it gives up soon and tries again at the next round.
TRUNCATE_WAIT_MS = 50


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # no log (yet), or an in-memory database
        return 0


def _truncate(cursor: Any) -> None:
    """Copy the whole log back and cut its file to nothing, unless a reader still holds part of
    it (then the next round tries again). Steady traffic, where a reader always holds the log,
    would otherwise never let a writer start it over: the log grew to 359 MB for a 20 MB
    database under six writers."""
    cursor.execute(f"PRAGMA busy_timeout={TRUNCATE_WAIT_MS}")
    try:
        busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.debug("WAL still held by a reader; truncating at the next round")
    finally:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")


CHECKPOINT_SECONDS = 0.5
CHECKPOINT_THREAD = "gazette-wal-checkpoint"
CHECKPOINTER = Checkpointer()


def _sqlite_begin(conn: Connection) -> None:
    # pysqlite's own transaction handling defers BEGIN; issuing BEGIN ourselves makes
    # SAVEPOINTs work and keeps SQLAlchemy in charge of transactions.
    # Write sessions BEGIN IMMEDIATE: they take the write lock up front and queue behind
    # the writer gate and busy_timeout. A deferred one that read, then saw another writer
    # commit, could not write any more ("database is locked", a 500) however long it waited.
    if not conn.get_execution_options().get("sqlite_begin_immediate", False):
        conn.exec_driver_sql("BEGIN")
        return
    conn.engine.pool.writer_gate.enter(conn.info)  # type: ignore[attr-defined]  # set by make_engine
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        WriterGate.leave(conn.info)
        raise


def _sqlite_returned(_dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry, *_args: Any) -> None:
    WriterGate.leave(record.info)


# The page cache of the event loop's SQLite reader (SQLite's default is 2 MB): the interior
# pages of the documents' index and the slug index stay in it, past the memory-mapped first
# gigabyte of a large archive.
SQLITE_READER_CACHE_KIB = 16_384


def sqlite_reader(connection: PoolProxiedConnection) -> DBAPICursor:
    """A cursor of `connection` (SQLite, out of the pool) for the event loop's document reads,
    with a page cache of its own that holds their indexes."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_READER_CACHE_KIB}")
    return cursor
