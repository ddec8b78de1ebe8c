"""Engines (primary and replica), the metadata naming convention, and running a statement
on a session's connection without the ORM's per-statement work."""

import logging
import time
from functools import lru_cache
from typing import Any, TypeVarTuple, overload

import orjson
from sqlalchemy import CursorResult, Engine, Executable, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry, Pool
from sqlalchemy.sql.selectable import TypedReturnsRows
from sqlmodel import SQLModel

import app.store.models  # noqa: F401 - every table on the metadata (naming convention: models/common.py)
from app.settings import get_settings
from app.store.replicas import WATCH
from app.store.sql import Fetched, Params, Prepared
from app.store.sqlite import (
    SQLITE_POOL_SIZE,
    WriterGate,
    _sqlite_begin,
    _sqlite_pragmas,
    _sqlite_returned,
)

metadata: MetaData = SQLModel.metadata
Ts = TypeVarTuple("Ts")
log = logging.getLogger("gazette.db")


def normalise_url(url: str) -> str:
    """Let users write plain postgresql:// URLs; Gazette speaks psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _json_dumps(value: object) -> str:  # JSON columns (bodies, payloads) go through orjson
    return orjson.dumps(value).decode()


@lru_cache(maxsize=32)
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
            url,
            connect_args={"check_same_thread": False, "isolation_level": None},
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=16,
            pool_timeout=get_settings().database_pool_timeout_seconds,
            pool_use_lifo=True,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        # The writers' queue of this engine, where `_sqlite_begin` finds it (Pool declares no such attribute).
        engine.pool.writer_gate = WriterGate()  # type: ignore[attr-defined]
        for name in ("checkin", "invalidate", "close"):  # however a connection leaves its user
            event.listen(engine.pool, name, _sqlite_returned)
        return engine
    extra = {"isolation_level": "AUTOCOMMIT"} if reads else {}
    engine = create_engine(url, **_postgres_args(), **extra)
    set_up_sessions(engine.pool)
    _ping_when_idle(engine.pool)
    return engine


# Gazette's statements are short: compiling one with JIT, which PostgreSQL starts on its own
# once a plan's estimated cost passes `jit_above_cost` (a ranked search at 1,000,000 articles,
# estimated at 167,000), took 20-50 ms for a statement that runs in 14 (bench/README.md). So
# each new connection turns it off, with a SET rather than the `options` startup parameter,
# which PgBouncer refuses unless configured to ignore it (docs/production.md).
SESSION_SETTINGS = "SET jit = off"


def _set_up_session(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(SESSION_SETTINGS)
    finally:
        cursor.close()
    dbapi_connection.commit()  # a SET in a transaction rolled back would be undone


def set_up_sessions(pool: Pool) -> None:
    """Every new PostgreSQL connection of `pool` runs SESSION_SETTINGS first."""
    event.listen(pool, "connect", _set_up_session)


def _postgres_args() -> dict[str, Any]:
    settings = get_settings()
    size = settings.pool_size
    return {
        "pool_size": size,
        "max_overflow": size,
        # A request waits this long for a connection, then gets a 503 with Retry-After
        # (app.main), rather than holding its thread for SQLAlchemy's 30 s and failing with a 500.
        "pool_timeout": settings.database_pool_timeout_seconds,
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }


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
    """For public reads: a replica in use (app/store/replicas.py), else the primary."""
    url = read_url()
    return make_engine(url, reads=True) if make_engine(url).dialect.name == "postgresql" else make_engine(url)


def read_url() -> str:
    """Where public reads go now: a replica within the lag bound, else the primary."""
    return WATCH.read_url() or get_settings().database_url


def is_postgres(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


@overload
def rows(session: Session, statement: Prepared, params: Params = None) -> Fetched: ...


@overload
def rows(session: Session, statement: TypedReturnsRows[*Ts], params: Params = None) -> CursorResult[*Ts]: ...


@overload
def rows(session: Session, statement: Executable, params: Params = None) -> CursorResult[*tuple[Any, ...]]: ...


def rows(
    session: Session, statement: Prepared | Executable, params: Params = None
) -> Fetched | CursorResult[*tuple[Any, ...]]:
    """Run a statement that loads no ORM objects (columns, inserts, updates) on the session's
    connection, in its transaction, without the ORM's per-statement work: it costs half as
    much as `session.execute`, and a `Prepared` one (app/store/sql.py) half as much again.
    Pending ORM changes are flushed first, as autoflush would."""
    session.flush()
    if isinstance(statement, Prepared):
        return statement.run(session.connection(), params)
    return session.connection().execute(statement, params or {})
