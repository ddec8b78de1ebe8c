"""Starting and stopping uvicorn processes on 127.0.0.1, and reading their memory."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float, float]:
    """(VmRSS, VmHWM, RssAnon) of a process in MB: resident memory now, its peak, and of it
    the process's own (VmRSS also counts pages of files it maps, such as a SQLite database
    read through mmap: those are the OS page cache, shared and reclaimable)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0), values.get("RssAnon", 0.0)


class Server:
    """One server process (with `workers` worker processes), stopped when the block ends (or on
    timeout). `command` is how it starts, given its port; by default uvicorn serving `app`."""

    def __init__(
        self,
        name: str,
        app: str = "",
        *,
        env: dict[str, str],
        workers: int = 1,
        app_dir: Path = ROOT,
        cwd: Path = ROOT,
        log: Path | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or Path(f"/tmp/bench-{name}-{self.port}.log")
        self.command = (
            [part.replace("{port}", str(self.port)) for part in command]
            if command
            else [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--app-dir",
                str(app_dir),
                "--log-level",
                "warning",
                "--no-access-log",
                "--workers",
                str(workers),
            ]
        )
        self.env = {**os.environ, **env}
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 60) -> None:
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=self._out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {timeout:.0f} s: see {self.log}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def memory(self) -> tuple[float, float, float]:
        return rss_mb(self.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._out.close()


def gazette(name: str, database_url: str, *, cache: bool, root: Path = ROOT, workers: int = 1) -> Server:
    """Gazette as found in `root` (the working tree, or a commit exported by the runner), started
    as users start it: `gazette serve`, with its defaults (README.md). The runner has migrated
    the database already. Background jobs stay off: nothing but the load runs meanwhile. The
    rate limits are as by default: on, with anonymous reads not limited per address (the
    load comes from one address, as a CDN's misses do), so the limiter's own cost on a
    request is in every figure (docs/rate-limits.md)."""
    env = {
        "GAZETTE_DATABASE_URL": database_url,
        "GAZETTE_RUN_BACKGROUND_JOBS": "false",
        "GAZETTE_RESPONSE_CACHE_ENABLED": "true" if cache else "false",
    }
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--no-migrate",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--workers",
        str(workers),
    ]
    return Server(name, env=env, cwd=root, command=command)


def bare(body_file: Path, *, workers: int = 1) -> Server:
    """The bare ASGI app under uvicorn, with uvicorn's fastest options (no access log, warnings
    only; uvloop and httptools, which uvicorn picks when installed, as `gazette serve` does)."""
    return Server(
        f"bare-{workers}w" if workers > 1 else "bare",
        "bare_app:app",
        env={"BENCH_BARE_BODY": str(body_file)},
        app_dir=BENCH,
        workers=workers,
    )


UVICORN_ADDS = {"date", "server"}  # headers uvicorn adds to every answer, the bare app's too


def bare_copy(name: str, directory: Path, response: httpx.Response) -> Server:
    """A bare app answering every request as Gazette answered `response`: its status, its
    bytes and its headers (less those uvicorn adds; a `304` with Gazette's validators). Read
    `response` without compression, as wrk does."""
    body, headers = directory / f"{name}.body", directory / f"{name}.headers.json"
    body.write_bytes(response.content)
    kept = [
        [key.decode("latin-1"), value.decode("latin-1")]
        for key, value in response.headers.raw
        if key.decode("latin-1").lower() not in UVICORN_ADDS | {"content-length"}
    ]
    headers.write_text(json.dumps(kept))
    env = {
        "BENCH_BARE_BODY": str(body),
        "BENCH_BARE_HEADERS": str(headers),
        "BENCH_BARE_STATUS": str(response.status_code),
    }
    return Server(name, "bare_app:app", env=env, app_dir=BENCH)
