"""Write sessions, and where a write's database work runs: on the event loop (`LoopWrites`)
or in a thread."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlmodel import Session

from app.settings import get_settings
from app.store.engine import _ping_when_idle, _postgres_args, get_engine, normalise_url, set_up_sessions


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
            engine = (
                create_async_engine(normalise_url(settings.database_url), **_postgres_args())
                if dialect == "postgresql"
                else None
            )
            if engine is not None:
                set_up_sessions(engine.sync_engine.pool)
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
        return [state.engine.sync_engine for state in list(self._loops.values()) if state.engine is not None]


LOOP_WRITES = LoopWrites()
