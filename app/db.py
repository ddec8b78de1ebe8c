"""Engines (primary and replica), the metadata naming convention, the session dependencies
and the route class that runs a write endpoint and commits its session, on the event loop
(`LoopWrites`) or in a thread."""

import asyncio
import functools
import inspect
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import anyio
import anyio.to_thread
import orjson
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, Pool
from sqlmodel import Session, SQLModel
from starlette.concurrency import run_in_threadpool

from app.settings import get_settings
from app.sql import Prepared

import app.models  # noqa: F401,E402 - every table on the metadata (naming convention: models/common.py)

metadata: MetaData = SQLModel.metadata
log = logging.getLogger("gazette.db")


def normalise_url(url: str) -> str:
    """Let users write plain postgresql:// URLs; Gazette speaks psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


SQLITE_MMAP_BYTES = 1 << 30  # address space, not memory: pages are the OS cache's
# Every thread of the request threadpool (40) and the background jobs can hold a connection;
# a SQLite connection costs little to keep, and a new one must parse the schema again and
# starts with a cold cache, so the pool keeps them all instead of opening and closing overflow.
SQLITE_POOL_SIZE = 48


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; busy_timeout makes writers queue
    # instead of failing with "database is locked" when several workers share the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    if CHECKPOINTER.running:  # it copies the log back; commits leave that to it
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
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

    def enter(self, info: dict) -> None:
        if _GATED not in info and self._lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            info[_GATED] = self

    @staticmethod
    def leave(info: dict) -> None:
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
                self._thread = threading.Thread(target=self._run, args=(engine,), name=CHECKPOINT_THREAD,
                                                daemon=True)
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
        try:
            while not self._stop.wait(CHECKPOINT_SECONDS):
                try:
                    connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:  # noqa: BLE001 - the next round tries again; commits never wait on this
                    log.warning("WAL checkpoint failed; trying again", exc_info=True)
        finally:
            connection.close()


CHECKPOINT_SECONDS = 0.5
CHECKPOINT_THREAD = "gazette-wal-checkpoint"
CHECKPOINTER = Checkpointer()


def _sqlite_begin(conn) -> None:  # noqa: ANN001
    # pysqlite's own transaction handling defers BEGIN; issuing BEGIN ourselves makes
    # SAVEPOINTs work and keeps SQLAlchemy in charge of transactions.
    # Write sessions BEGIN IMMEDIATE: they take the write lock up front and queue behind
    # the writer gate and busy_timeout. A deferred one that read, then saw another writer
    # commit, could not write any more ("database is locked", a 500) however long it waited.
    if not conn.get_execution_options().get("sqlite_begin_immediate", False):
        conn.exec_driver_sql("BEGIN")
        return
    conn.engine.pool.writer_gate.enter(conn.info)
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        WriterGate.leave(conn.info)
        raise


def _sqlite_returned(_dbapi_connection, record, *_args) -> None:  # noqa: ANN001
    WriterGate.leave(record.info)


def _json_dumps(value: object) -> str:  # JSON columns (bodies, payloads) go through orjson
    return orjson.dumps(value).decode()


@lru_cache(maxsize=8)
def make_engine(url: str, *, reads: bool = False) -> Engine:
    """The engine for `url`. With `reads`, on PostgreSQL, one whose connections autocommit:
    a public read then costs its queries and no BEGIN and ROLLBACK round trips. Its
    statements do not share a snapshot; a write that lands between two of them purges
    the responses it changes, and the response cache keeps nothing computed meanwhile."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # The pool hands out the connection given back last (LIFO): under the writer gate that
        # is the last writer's, whose page cache is still good. Another connection would find
        # the log changed and drop its whole cache at BEGIN (SQLite does): a PATCH cost 11 %
        # more CPU in the server (bench/README.md).
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "isolation_level": None},
            pool_size=SQLITE_POOL_SIZE, max_overflow=16, pool_use_lifo=True,
            json_serializer=_json_dumps, json_deserializer=orjson.loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        engine.pool.writer_gate = WriterGate()
        for name in ("checkin", "invalidate", "close"):  # however a connection leaves its user
            event.listen(engine.pool, name, _sqlite_returned)
        return engine
    extra = {"isolation_level": "AUTOCOMMIT"} if reads else {}
    engine = create_engine(url, **_postgres_args(), **extra)
    _ping_when_idle(engine.pool)
    return engine


def _postgres_args() -> dict[str, Any]:
    size = get_settings().pool_size
    return {"pool_size": size, "max_overflow": size,
            "json_serializer": _json_dumps, "json_deserializer": orjson.loads}


# A PostgreSQL connection that sat in the pool this long is checked (one round trip) before
# it is used again, so one that was dropped meanwhile (a restart, a failover, an idle
# timeout) is replaced instead of failing a request. SQLAlchemy's `pool_pre_ping` checks every
# checkout: under load that was one round trip in sixteen of a write, on connections in use a
# moment before. A connection that dies while busy fails its request, and SQLAlchemy then
# replaces every connection of the pool that is older than the failure.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "gazette_idle_since"


def _ping_when_idle(pool: Pool) -> None:
    event.listen(pool, "connect", _mark_idle)
    event.listen(pool, "checkin", _mark_idle)
    event.listen(pool, "checkout", _ping_if_idle)


def _mark_idle(_dbapi_connection: Any, record: ConnectionPoolEntry | None) -> None:
    if record is not None:
        record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    if time.monotonic() - record.info.get(_IDLE_SINCE, 0.0) < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(";")  # what SQLAlchemy's own ping sends to psycopg
        finally:
            cursor.close()
    except Exception as error:  # the driver's: the pool drops it and checks out another
        raise DisconnectionError(f"a pooled connection is gone: {error}") from error


def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def get_primary_read_engine() -> Engine:
    """For reads that must see the latest commit (a key made a moment ago): the primary, and on
    PostgreSQL with autocommit, one round trip per statement. It also never sends the ROLLBACK
    that would make psycopg forget the connection's prepared statements."""
    engine = get_engine()
    return make_engine(get_settings().database_url, reads=True) if engine.dialect.name == "postgresql" else engine


def get_read_engine() -> Engine:
    settings = get_settings()
    url = settings.database_replica_url or settings.database_url
    return make_engine(url, reads=True) if make_engine(url).dialect.name == "postgresql" else make_engine(url)


def is_postgres(engine_or_session) -> bool:  # noqa: ANN001
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


def rows(session: Session, statement, params: dict | list | None = None):  # noqa: ANN001, ANN201 - a Result
    """Run a statement that loads no ORM objects (columns, inserts, updates) on the session's
    connection, in its transaction, without the ORM's per-statement work: it costs half as
    much as `session.execute`, and a `Prepared` one (app/sql.py) half as much again.
    Pending ORM changes are flushed first, as autoflush would."""
    session.flush()
    if isinstance(statement, Prepared):
        return statement.run(session.connection(), params)
    return session.connection().execute(statement, params or {})


# The page cache of the event loop's SQLite reader (SQLite's default is 2 MB): the interior
# pages of the documents' index and the slug index stay in it, past the memory-mapped first
# gigabyte of a large archive.
SQLITE_READER_CACHE_KIB = 16_384


def sqlite_reader(connection):  # noqa: ANN001, ANN201 - a DB-API connection and cursor
    """A cursor of `connection` (SQLite, out of the pool) for the event loop's document reads,
    with a page cache of its own that holds their indexes."""
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_READER_CACHE_KIB}")
    return cursor


def write_session() -> Session:
    """A session for work that writes (requests, jobs, the CLI).

    On SQLite its transactions BEGIN IMMEDIATE (see `_sqlite_begin`), so two writers queue
    on the lock instead of one failing; keep its transactions short.
    """
    engine = get_engine()
    if engine.dialect.name == "sqlite":
        engine = _immediate(engine)
    return Session(engine, expire_on_commit=False)


@lru_cache(maxsize=4)
def _immediate(engine: Engine) -> Engine:
    """`engine` with BEGIN IMMEDIATE, made once: making it costs a request as much as a query."""
    return engine.execution_options(sqlite_begin_immediate=True)


@dataclass
class _OnLoop:
    """What `LoopWrites` keeps for one event loop."""

    engine: AsyncEngine | None  # PostgreSQL: the async engine of this loop's writes
    sqlite: bool  # SQLite, writes on the loop
    users: int = 0  # apps running on it


class LoopWrites:
    """Where a write endpoint's database work runs: on the event loop, not in a thread.

    In a thread, a write waits for Python's lock after each of its statements (the driver
    lets the lock go while the database works) while the event loop, busy with reads, holds
    it: under the mixed load of bench/ a PATCH on PostgreSQL spent 25-30 ms in its thread for
    4 ms of CPU, and eight writers queued for four threads. On the loop it waits for nothing
    but the database:
    - PostgreSQL: the endpoint's own (sync) code runs in a greenlet on the loop (SQLAlchemy's
      asyncio bridge, `AsyncSession.run_sync`) and each statement awaits psycopg's async
      driver, on an engine opened for the app's lifespan.
    - SQLite, whose driver has no async side: the write lock (the writer gate, then BEGIN
      IMMEDIATE) is waited for in a thread, as before; holding it, the endpoint runs on the
      loop, where nothing else can make it wait (WAL: readers never block the writer, and
      the checkpointer thread, not commits, copies the log back). Only the article writes
      (`ArticleRoute`): a long statement there would stop every request, where in a thread
      SQLite lets the loop go on.
    The price: while a write's Python runs, the loop serves nothing else (a PATCH: 2-4 ms),
    where a thread would have given way every 5 ms. Off (`writes_on_event_loop`), or before
    the lifespan ran, write endpoints run in the threadpool; bulk imports, background jobs and
    the CLI always do."""

    def __init__(self) -> None:
        # Per event loop: an async engine belongs to the loop it runs on, and apps on other
        # loops in the same process (tests) have their own. Apps on one loop share it.
        self._loops: dict[asyncio.AbstractEventLoop, _OnLoop] = {}

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            settings = get_settings()
            dialect = get_engine().dialect.name if settings.writes_on_event_loop else None
            engine = (create_async_engine(normalise_url(settings.database_url), **_postgres_args())
                      if dialect == "postgresql" else None)
            if engine is not None:
                _ping_when_idle(engine.sync_engine.pool)
            state = self._loops[loop] = _OnLoop(engine, dialect == "sqlite")
        state.users += 1
        try:
            yield
        finally:
            state.users -= 1
            if state.users == 0:
                del self._loops[loop]
                if state.engine is not None:
                    await state.engine.dispose()

    def _here(self) -> _OnLoop | None:
        return self._loops.get(asyncio.get_running_loop())

    def session(self) -> AsyncSession | None:
        """A session whose work runs on this loop (PostgreSQL), or None."""
        state = self._here()
        if state is None or state.engine is None:
            return None
        return AsyncSession(state.engine, expire_on_commit=False, sync_session_class=Session)

    def sqlite(self) -> bool:
        """Whether SQLite writes run on this loop."""
        state = self._here()
        return state is not None and state.sqlite

    def engines(self) -> list[Engine]:
        """The sync side of every async engine running (for tests that watch statements)."""
        return [state.engine.sync_engine for state in list(self._loops.values())
                if state.engine is not None]


LOOP_WRITES = LoopWrites()
# session.info: on SQLite, take the write lock in a thread and run the rest on the loop
_LOCK_FIRST = "gazette.lock_first"
_ON_LOOP = "gazette.on_loop"  # session.info: the AsyncSession whose greenlet runs its work


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed once when the endpoint returns without error.

    Made on the event loop; it connects at its first statement, in the endpoint's thread or
    greenlet, or on SQLite in a thread just before `Route` runs the endpoint on the loop
    (`LoopWrites`).
    A sync endpoint commits it as it returns (`Route`, below), so here it is only closed.
    Otherwise (an error, an async endpoint) it is ended here: in a worker thread that no
    other request can hold (when the request threadpool's few threads all wait on SQLite's
    write lock, the commit or rollback that lets them go must not wait for one of them), or
    on the loop. Ending is shielded from cancellation (a client that went away), so the
    transaction and its connection never outlive the request."""
    route = request.scope.get("route")
    may_run_on_loop = getattr(route, "on_loop", False)
    on_loop = LOOP_WRITES.session() if may_run_on_loop else None
    session = write_session() if on_loop is None else on_loop.sync_session
    if on_loop is not None:
        session.info[_ON_LOOP] = on_loop
    elif may_run_on_loop and route.sqlite_on_loop and LOOP_WRITES.sqlite():
        session.info[_LOCK_FIRST] = True
    try:
        yield session
    except BaseException:
        await _end(session, on_loop, commit=False)
        raise
    if session.in_transaction():
        await _end(session, on_loop, commit=True)
    elif on_loop is not None:
        await on_loop.close()
    else:
        session.close()


async def _end(session: Session, on_loop: AsyncSession | None, *, commit: bool) -> None:
    with anyio.CancelScope(shield=True):
        if on_loop is not None:
            await on_loop.run_sync(_commit_or_rollback, commit)
        else:
            await anyio.to_thread.run_sync(_commit_or_rollback, session, commit,
                                           limiter=anyio.CapacityLimiter(1))


def _commit_or_rollback(session: Session, commit: bool) -> None:
    with session:  # closing gives the connection (and SQLite's writer gate) back
        if commit:
            session.commit()
        else:
            session.rollback()


def get_read_session() -> Iterator[Session]:
    """A session for public reads; it goes to the replica when one is configured."""
    with Session(get_read_engine()) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


class Route(APIRoute):
    """An APIRoute whose sync endpoint, when it takes the request's write session
    (`session: SessionDep`), runs and commits in one go: on the event loop (`LoopWrites`), or
    in a threadpool thread.

    Without this the commit waits for the event loop to take the endpoint's result and send
    the session's end to another thread: on SQLite the write lock stays held meanwhile, for
    as long as the loop is busy with other requests, and every queued writer waits that long
    too. `get_session` still ends the session: it rolls back after an error, and
    commits for endpoints that do not take this path (async ones)."""

    # On SQLite, whether the route's writes may run on the loop: a statement there stops every
    # other request while it runs, so only routes whose writes touch one article's rows say so
    # (`ArticleRoute`). A rename, which marks every document that shows the name stale in one
    # statement, stays in a thread, where SQLite lets the loop go on meanwhile.
    sqlite_on_loop = False

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        wrapped = _committing(endpoint)
        self.on_loop = wrapped is not endpoint  # its session's work may run on the loop
        super().__init__(path, wrapped, **kwargs)


class ArticleRoute(Route):
    """A Route whose writes change one article (and its quotes, links, revision, document):
    short enough on SQLite to run on the event loop once the write lock is held."""

    sqlite_on_loop = True


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):
        return endpoint
    parameter = inspect.signature(endpoint).parameters.get("session")
    if parameter is None or parameter.annotation != SessionDep:
        return endpoint

    def call_and_commit(values: dict[str, Any]) -> Any:
        answer = endpoint(**values)
        values["session"].commit()
        return answer

    @functools.wraps(endpoint)
    async def run(**values: Any) -> Any:
        session = values["session"]
        if (on_loop := session.info.get(_ON_LOOP)) is not None:
            return await on_loop.run_sync(lambda _: call_and_commit(values))
        if session.info.get(_LOCK_FIRST):
            await run_in_threadpool(session.connection)  # BEGIN IMMEDIATE: waits for the write lock
            return call_and_commit(values)
        return await run_in_threadpool(call_and_commit, values)

    return run
