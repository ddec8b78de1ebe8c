"""Response caching: HTTP validators and headers on public GETs, and an in-memory cache of
them that every committed write purges, in this process and in every other one."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from app.cache.listener import LISTENER
from app.cache.store import STORE


def clear() -> None:
    """Forget every cached response (tests do it between tests)."""
    STORE.clear()


@asynccontextmanager
async def listening() -> AsyncIterator[None]:
    """For the app's lifespan: hear other processes' purges while serving."""
    await anyio.to_thread.run_sync(LISTENER.start)
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(LISTENER.stop)
