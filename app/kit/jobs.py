"""Background work of a lone `gazette serve`: publishing scheduled articles, delivering webhooks.

Each job is a plain function that does one round of work and returns; the loop here runs
them every few seconds in a thread, so the event loop is never blocked.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.settings import get_settings

log = logging.getLogger("gazette.jobs")

# Functions that do one round of background work, registered by app.wiring.
ROUNDS: list[Callable[[], object]] = []


def register(job: Callable[[], object]) -> None:
    """Run `job` in every round (once: registering it again changes nothing)."""
    if job not in ROUNDS:
        ROUNDS.append(job)


def run_once() -> None:
    """One round of every job; a failing job is logged and does not stop the others."""
    for job in ROUNDS:
        try:
            job()
        except Exception:
            log.exception("background job %s failed", getattr(job, "__name__", job))


async def _loop(interval: float) -> None:
    while True:
        await asyncio.to_thread(run_once)
        await asyncio.sleep(interval)


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    task = None
    if settings.run_background_jobs:
        task = asyncio.create_task(_loop(settings.scheduler_interval_seconds))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
