"""Background work of a lone `gazette serve` or `gazette worker`: publishing scheduled articles,
refilling stored documents, delivering webhooks.

Each job is a plain function that does one round of work and returns. Each runs in a lane of
its own (a task that runs a round in a thread, then sleeps), so no job waits for another: a
round of webhook deliveries may take as long as its slowest receiver, and the scheduled
articles are published on time meanwhile. A job may say when it next has work (`due_in`):
its lane wakes then, if that is sooner than the interval.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from app.settings import get_settings

log = logging.getLogger("gazette.jobs")

SHORTEST_SLEEP = 0.05  # seconds between two rounds of one lane, at least


@dataclass(frozen=True)
class Job:
    run: Callable[[], object]
    # Seconds until the job next has work (None: nothing known), asked after each round.
    due_in: Callable[[], float | None] | None = None

    @property
    def name(self) -> str:
        return getattr(self.run, "__name__", repr(self.run))


# The jobs registered by app.wiring, in the order run_once runs them.
JOBS: list[Job] = []


def register(job: Callable[[], object], *, due_in: Callable[[], float | None] | None = None) -> None:
    """Run `job` in a lane of its own (once: registering it again changes nothing)."""
    if all(j.run is not job for j in JOBS):
        JOBS.append(Job(job, due_in))


def _round(job: Job) -> None:
    try:
        job.run()
    except Exception:
        log.exception("background job %s failed", job.name)


def run_once() -> None:
    """One round of every job, one after the other; a failing job does not stop the others."""
    for job in JOBS:
        _round(job)


def _pause(job: Job, interval: float) -> float:
    if job.due_in is None:
        return interval
    try:
        due = job.due_in()
    except Exception:
        log.exception("background job %s could not say when it is due", job.name)
        return interval
    return interval if due is None else max(SHORTEST_SLEEP, min(interval, due))


async def _lane(job: Job, interval: float) -> None:
    while True:
        await asyncio.to_thread(_round, job)
        await asyncio.sleep(await asyncio.to_thread(_pause, job, interval))


async def run_forever(interval: float) -> None:
    """Every job in its own lane, until cancelled."""
    lanes = [asyncio.create_task(_lane(job, interval), name=f"job:{job.name}") for job in JOBS]
    try:
        await asyncio.gather(*lanes)
    finally:
        for lane in lanes:
            lane.cancel()


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    task = None
    if settings.run_background_jobs:
        task = asyncio.create_task(run_forever(settings.scheduler_interval_seconds))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
