"""Gazette in a process of its own: a real `uvicorn` on a loopback port, against a test database."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen) -> None:
    # Generous: a process importing the app and migrating nothing took 14 s to be ready on
    # PostgreSQL on a 2-core machine at a load of 20, and more than 30 s now and then.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server process exited"
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@contextmanager
def gazette_process(database_url: str, *, log: Path | None = None, **settings: str) -> Iterator[str]:
    """The base URL of a Gazette process on `database_url`, ready to answer; `settings` are
    extra environment variables (GAZETTE_POOL_SIZE="1"); `log` keeps what it writes to stderr.
    Stopped when the block ends."""
    port = free_port()
    env = {**os.environ, "GAZETTE_DATABASE_URL": database_url, "GAZETTE_RUN_BACKGROUND_JOBS": "false", **settings}
    with log.open("wb") if log is not None else nullcontext() as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stderr=out,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def start_serve(
    database_url: str, *args: str, port: int | None = None, **settings: str
) -> tuple[subprocess.Popen, str, Path]:
    """Start `gazette serve ARGS` on `port` (a free one unless given) and return at once: the
    process, its base URL and the file its standard error goes to. The caller stops it."""
    port = port or free_port()
    env = {**os.environ, "GAZETTE_DATABASE_URL": database_url, "GAZETTE_RUN_BACKGROUND_JOBS": "false", **settings}
    log = Path(tempfile.mkdtemp()) / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    return process, f"http://127.0.0.1:{port}", log


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Served:
    url: str  # its base URL
    log: Path  # the file its standard error goes to
    pid: int  # the server's process (`gazette serve` with one worker serves in its own process)


@contextmanager
def served(
    database_url: str, *args: str, start_within: float = 90, port: int | None = None, **settings: str
) -> Iterator[Served]:
    """`gazette serve ARGS` in a process of its own on `database_url`, once it answers at all
    (ready or not, within `start_within` seconds). Stopped when the block ends."""
    process, url, log = start_serve(database_url, *args, port=port, **settings)
    try:
        deadline = time.monotonic() + start_within
        while True:
            assert process.poll() is None, f"gazette serve exited: {log.read_text()}"
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not start") from None
                time.sleep(0.1)
        yield Served(url, log, process.pid)
    finally:
        stop(process)


@contextmanager
def gazette_serve(
    database_url: str, *args: str, start_within: float = 90, port: int | None = None, **settings: str
) -> Iterator[tuple[str, Path]]:
    """`gazette serve ARGS` (`served`): its base URL and the file its standard error goes to."""
    with served(database_url, *args, start_within=start_within, port=port, **settings) as server:
        yield server.url, server.log


def gazette(database_url: str, *args: str) -> str:
    """Run `gazette ARGS` on `database_url`; its standard output."""
    env = {**os.environ, "GAZETTE_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout
