"""Many nodes behind a CDN, from real parts on one machine: the test bed.

    python -m tests.support.testbed            # starts it, prints its addresses, runs until Ctrl-C
    python -m tests.support.testbed --delay 3  # with the replica's replay held back 3 s

- PostgreSQL: a primary (`wal_level=replica`) and a streaming replica of it made with
  `pg_basebackup -R` (`hot_standby=on`), each initialised into a temporary directory and
  started on a free port with the server's own binaries (`pg_config --bindir`, else
  /usr/lib/postgresql/*/bin), as the `postgres` user when run as root.
- Redis: a `redis-server` of its own on a free port (so that a test may stop and start it),
  for the nodes' shared rate-limit counters.
- Two Gazette nodes (`gazette serve --workers 2 --no-migrate`), reading from the replica
  (GAZETTE_DATABASE_REPLICA_URLS) and writing to the primary; one `gazette worker`; `gazette
  purger` sending xkey purges to Varnish. The schema is migrated once first (`gazette db upgrade`).
- Varnish with deploy/varnish/gazette.vcl, as shipped, its backend's port set to the first
  node; a round-robin director over both nodes is added after it (VCL concatenates the
  subroutines: only vcl_init and vcl_backend_fetch are added).

`multinode()` yields a `MultiNode` and tears everything down, whatever happens; tests in
tests/system/ use it through the `testbed` fixture (tests/system/conftest.py).
"""

import argparse
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from tests.support.processes import ROOT, free_port

VCL = ROOT / "deploy" / "varnish" / "gazette.vcl"
SECRET = "testbed-secret-key-0123456789-abcdefghijklmnop"
NODE_WORKERS = 2


def pg_bindir() -> Path | None:
    """The directory of PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup), if any."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and all((Path(folder) / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup")):
            return Path(folder)
    return None


def missing() -> str | None:
    """Why the test bed cannot run here, or None."""
    if pg_bindir() is None:
        return "PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
    for tool, package in (("varnishd", "varnish"), ("redis-server", "redis-server")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install {package})"
    if not list(Path("/usr/lib").glob("*/varnish/vmods/libvmod_xkey.so")) and not list(
        Path("/usr/lib").glob("varnish*/vmods/libvmod_xkey.so")
    ):
        return "Varnish's xkey module is not installed (apt-get install varnish-modules)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing: PostgreSQL will not run as root"
    return None


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _wait(check, what: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if check():
                return
        except (httpx.HTTPError, psycopg.Error, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test bed's {what} did not start within {within:.0f} s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Postgres:
    """One PostgreSQL server of the test bed, in its own data directory."""

    bindir: Path
    data: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/gazette"

    def ctl(self, *args: str) -> None:
        subprocess.run(
            [*_as_postgres(), str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.ctl("-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.ctl("-m", mode, "-w", "stop")

    def configure(self, **settings: str) -> None:
        """Append settings to its postgresql.conf (the last one read wins); a reload applies
        those PostgreSQL reloads."""
        with (self.data / "postgresql.conf").open("a") as conf:
            for name, value in settings.items():
                conf.write(f"{name} = '{value}'\n")

    def reload(self) -> None:
        self.ctl("reload")


@dataclass
class MultiNode:
    workdir: Path
    primary: Postgres
    replica: Postgres
    redis_port: int
    nodes: list[str]  # the Gazette nodes' base URLs
    edge: str  # Varnish's
    purger_metrics: str
    env: dict[str, str]  # what every node shares
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def delay_replica(self, seconds: float) -> None:
        """Hold the replica's replay back: recovery_min_apply_delay (0 lets it catch up)."""
        self.replica.configure(recovery_min_apply_delay=f"{int(seconds * 1000)}ms")
        self.replica.reload()

    def key(self, scopes: str = "content:read,content:write,content:publish") -> dict[str, str]:
        """Authorization headers of a new API key (made with `gazette keys create`)."""
        made = subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", "create", "--name", "testbed", "--scopes", scopes],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}

    def start_redis(self) -> None:
        with (self.workdir / "redis.log").open("ab") as log:
            self.processes["redis"] = subprocess.Popen(
                [
                    *("redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
                ],
                stdout=log,
                stderr=log,
            )
        _wait(lambda: _redis_ping(self.redis_port), "Redis", 20)

    def stop_redis(self) -> None:
        _stop(self.processes.pop("redis"))


def _redis_ping(port: int) -> bool:
    import redis

    return bool(redis.Redis(port=port, socket_timeout=1).ping())


def _vcl(node_ports: list[int]) -> str:
    """deploy/varnish/gazette.vcl with its backend on the first node, and a round-robin over all."""
    shipped = VCL.read_text()
    assert '.port = "8000";' in shipped, "deploy/varnish/gazette.vcl no longer names port 8000"
    vcl = shipped.replace('.port = "8000";', f'.port = "{node_ports[0]}";')
    others = "".join(
        f'backend gazette_{i} {{ .host = "127.0.0.1"; .port = "{port}"; .probe = gazette_ready; }}\n'
        for i, port in enumerate(node_ports[1:], start=2)
    )
    adds = "".join(f"    nodes.add_backend(gazette_{i});\n" for i in range(2, len(node_ports) + 1))
    return (
        f"{vcl}\n# The test bed: every node behind a round-robin director.\nimport directors;\n{others}"
        f"sub vcl_init {{\n    new nodes = directors.round_robin();\n    nodes.add_backend(gazette);\n{adds}}}\n"
        "sub vcl_backend_fetch {\n    set bereq.backend = nodes.backend();\n}\n"
    )


@contextmanager
def multinode(*, replica_delay: float = 0.0, node_count: int = 2, log=None) -> Iterator[MultiNode]:
    """Start the whole test bed, yield it, and tear it down (on failure too)."""
    reason = missing()
    if reason:
        raise RuntimeError(f"the test bed cannot run: {reason}")
    bindir = pg_bindir()
    assert bindir is not None
    say = log or (lambda _message: None)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="gazette-testbed-"))
    workdir.chmod(0o755)  # postgres and varnish (dropping root) read and write below it
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        pgdir = workdir / "pg"
        pgdir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(pgdir, "postgres", "postgres")
        primary = Postgres(bindir, pgdir / "primary", free_port(), pgdir / "primary.log")
        replica = Postgres(bindir, pgdir / "replica", free_port(), pgdir / "replica.log")

        subprocess.run(
            [
                *_as_postgres(),
                *(str(bindir / "initdb"), "-D", str(primary.data), "-U", "postgres", "--auth=trust"),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        primary.configure(
            port=str(primary.port),
            listen_addresses="127.0.0.1",
            unix_socket_directories=str(pgdir),
            wal_level="replica",
            max_wal_senders="5",
            max_connections="300",
            hot_standby="on",
            fsync="off",  # a test bed: durability is not what it measures
            full_page_writes="off",
        )
        primary.start()
        stack.callback(primary.stop, "immediate")
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{primary.port}/postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE gazette")
        # The schema is migrated (`gazette db upgrade`) while the replica is made: it streams it.
        edge_port = free_port()
        edge = f"http://127.0.0.1:{edge_port}"
        redis_port = free_port()
        env = {
            **os.environ,
            "GAZETTE_DATABASE_URL": primary.url,
            "GAZETTE_DATABASE_REPLICA_URLS": replica.url,
            "GAZETTE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "GAZETTE_SECRET_KEY": SECRET,
            "GAZETTE_API_URL": edge,
            "GAZETTE_SITE_URL": "https://news.example.org",
            "GAZETTE_RUN_BACKGROUND_JOBS": "false",
            "GAZETTE_POOL_SIZE": "4",
            "GAZETTE_RATE_LIMIT_PER_KEY": "1000000/minute",
            "GAZETTE_REPLICA_MAX_LAG_SECONDS": "5",
        }
        env.pop("GAZETTE_DATABASE_REPLICA_URL", None)
        with (workdir / "migrate.log").open("ab") as out:
            migrating = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "db", "upgrade"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        stack.callback(_stop, migrating)
        subprocess.run(
            [
                *_as_postgres(),
                *(str(bindir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
                *("-D", str(replica.data), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        replica.configure(port=str(replica.port), hot_standby="on")
        if replica_delay:
            replica.configure(recovery_min_apply_delay=f"{int(replica_delay * 1000)}ms")
        replica.start()
        stack.callback(replica.stop, "immediate")
        say(f"PostgreSQL primary :{primary.port}, replica :{replica.port} ({time.monotonic() - started:.1f} s)")

        bed = MultiNode(workdir, primary, replica, redis_port, [], edge, "", env)
        stack.callback(lambda: [_stop(p) for p in list(bed.processes.values())[::-1]])
        bed.start_redis()

        if migrating.wait(timeout=120) != 0:
            raise RuntimeError(f"gazette db upgrade failed: {(workdir / 'migrate.log').read_text()[-3000:]}")
        say(f"migrated ({time.monotonic() - started:.1f} s)")

        def spawn(name: str, *args: str, **extra: str) -> subprocess.Popen:
            with (workdir / f"{name}.log").open("ab") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "app.cli", *args],
                    cwd=ROOT,
                    env={**env, **extra},
                    stdout=out,
                    stderr=out,
                    start_new_session=True,  # Ctrl-C of the CLI reaches only the CLI, which stops them in order
                )
            bed.processes[name] = process
            return process

        ports = [free_port() for _ in range(node_count)]
        for i, port in enumerate(ports, start=1):
            spawn(
                f"node{i}",
                *("serve", "--host", "127.0.0.1", "--port", str(port)),
                *("--workers", str(NODE_WORKERS), "--no-migrate", "--forwarded-allow-ips", "127.0.0.1"),
                GAZETTE_METRICS_DIR=str(workdir / f"metrics{i}"),
            )
        spawn("worker", "worker")
        metrics_port = free_port()
        spawn(
            "purger",
            "purger",
            GAZETTE_PURGER_TARGET="varnish",
            GAZETTE_PURGER_URL=edge,
            GAZETTE_PURGER_STATE_FILE=str(workdir / "purger.json"),
            GAZETTE_PURGER_METRICS_PORT=str(metrics_port),
        )
        bed.nodes = [f"http://127.0.0.1:{port}" for port in ports]
        bed.purger_metrics = f"http://127.0.0.1:{metrics_port}/metrics"

        vcl = workdir / "gazette.vcl"
        vcl.write_text(_vcl(ports))
        vcl.chmod(0o644)
        with (workdir / "varnish.log").open("ab") as varnish_log:
            bed.processes["varnish"] = subprocess.Popen(
                [
                    *("varnishd", "-F", "-n", str(workdir / "varnish"), "-a", f"127.0.0.1:{edge_port}"),
                    *("-f", str(vcl), "-s", "malloc,64m", "-T", "127.0.0.1:0"),
                ],
                stdout=varnish_log,
                stderr=varnish_log,
            )

        def up(name: str, url: str) -> bool:
            for process_name, process in bed.processes.items():
                if process.poll() is not None:
                    logged = (workdir / f"{process_name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"the test bed's {process_name} exited: {logged}")
            return httpx.get(url, timeout=2).status_code == 200

        for i, node in enumerate(bed.nodes, start=1):
            _wait(lambda node=node, i=i: up(f"node{i}", f"{node}/readyz"), f"node {node}", 90)
        _wait(lambda: up("purger", bed.purger_metrics), "purger", 30)
        _wait(lambda: up("varnish", f"{edge}/readyz"), "Varnish", 30)
        say(f"ready in {time.monotonic() - started:.1f} s")
        yield bed


def _main() -> None:
    parser = argparse.ArgumentParser(description="Run Gazette's multi-node test bed until interrupted.")
    parser.add_argument("--delay", type=float, default=0.0, help="the replica's recovery_min_apply_delay, seconds")
    parser.add_argument("--nodes", type=int, default=2, help="Gazette nodes (each with two workers)")
    args = parser.parse_args()
    reason = missing()
    if reason:
        sys.exit(f"the test bed cannot run: {reason}")
    stop = False

    def interrupted(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    with multinode(replica_delay=args.delay, node_count=args.nodes, log=print) as bed:
        print(f"Varnish:  {bed.edge}")
        for node in bed.nodes:
            print(f"node:     {node}")
        print(f"primary:  {bed.primary.url}")
        print(f"replica:  {bed.replica.url}")
        print(f"Redis:    {bed.redis_url}")
        print(f"purger:   {bed.purger_metrics}")
        print(f"logs:     {bed.workdir}")
        print("Ctrl-C stops it and removes everything.", flush=True)
        while not stop:
            time.sleep(0.2)
    print("stopped")


if __name__ == "__main__":
    _main()
