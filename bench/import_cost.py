"""The CPU a full re-import costs an article line, and what it makes of a million.

    python bench/import_cost.py --export /tmp/bench/export.ndjson \
        --database-url sqlite:////tmp/bench/import.db [--baseline /tmp/bench/gazette-main]
    python bench/import_cost.py --export /tmp/bench/export.ndjson \
        --database-url postgresql://postgres@127.0.0.1:5432/bench_import

The export is `gazette export --all` of a generated archive (`generate.py --no-documents`).
The database named is dropped and made anew for each run (PostgreSQL: DROP and CREATE
DATABASE; SQLite: the file deleted): give one of your own. Each run migrates it, imports the
export's lines before its first article line (categories, people, sources, tags, authors:
a fixed cost, timed apart), then the rest under measurement: the importer's CPU (user and
system, less the CPU of importing an empty file, the command's start-up) and, on
PostgreSQL, the server's (its backends' CPU from /proc, sampled while they run). With
`--baseline`, the same is run from another checkout (with its own `.venv`, or else this
Python, which imports the checkout's code from its directory), and the ratio given.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def _split(export: Path, into: Path) -> tuple[Path, Path, int, int]:
    """The export's lines before its first article line, and the rest, as two files."""
    head, rest = into / "head.ndjson", into / "rest.ndjson"
    articles = lines = 0
    with export.open("rb") as source, head.open("wb") as h, rest.open("wb") as r:
        target = h
        for line in source:
            kind = orjson.loads(line)["type"] if line.strip() else None
            if kind == "article":
                target, articles = r, articles + 1
            if target is r:
                lines += 1
            target.write(line)
    return head, rest, lines, articles


def _fresh(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    maintenance = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{parsed.database}"')
        db.execute(f'CREATE DATABASE "{parsed.database}"')


class ServerCPU:
    """The CPU of the PostgreSQL backends serving `database`, sampled from /proc every 0.2 s
    (the server on this machine): the last sample of each backend, summed."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.database = parsed.database
        self.conninfo = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as db:
            while not self.stop.is_set():
                pids = db.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (self.database,)
                ).fetchall()
                for (pid,) in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / TICKS
                time.sleep(0.2)

    def __enter__(self) -> "ServerCPU":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def _gazette(checkout: Path, url: str, *args: str) -> tuple[float, float]:
    """Run `gazette` from `checkout`; its (wall, CPU) seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    env = {**os.environ, "GAZETTE_DATABASE_URL": url}
    python = checkout / ".venv" / "bin" / "python"
    subprocess.run(
        [str(python if python.exists() else sys.executable), "-m", "app.cli", *args],
        cwd=checkout,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - began, cpu


def run(checkout: Path, url: str, head: Path, rest: Path, empty: Path) -> dict[str, float]:
    _fresh(url)
    _gazette(checkout, url, "db", "upgrade")
    head_wall, head_cpu = _gazette(checkout, url, "import", str(head))
    _, startup = _gazette(checkout, url, "import", str(empty))
    postgres = url.startswith("postgres")
    server = ServerCPU(url) if postgres else None
    if server is not None:
        with server:
            wall, cpu = _gazette(checkout, url, "import", str(rest))
    else:
        wall, cpu = _gazette(checkout, url, "import", str(rest))
    return {
        "head_wall": head_wall,
        "head_cpu": head_cpu - startup,
        "wall": wall,
        "cpu": cpu - startup,
        "server": server.seconds if server is not None else 0.0,
    }


def _line(name: str, result: dict[str, float], lines: int) -> str:
    per_line = 1000 * result["cpu"] / lines
    server = 1000 * result["server"] / lines
    million = (per_line + server) * 1_000_000 / 1000 / 60
    return (
        f"{name:>9}: {lines:,} lines in {result['wall']:.1f} s wall, importer {result['cpu']:.1f} s CPU "
        f"({per_line:.2f} ms a line)"
        + (f", server {result['server']:.1f} s CPU ({server:.2f} ms a line)" if result["server"] else "")
        + f"; the lines before the articles {result['head_cpu']:.1f} s CPU; "
        f"at 1,000,000 lines: {million:.0f} min of CPU"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, required=True, help="`gazette export --all` of an archive")
    parser.add_argument("--database-url", required=True, help="a database of your own: dropped and made anew")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout (a git worktree of an older commit) to measure first"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        head, rest, lines, articles = _split(args.export, Path(scratch))
        empty = Path(scratch) / "empty.ndjson"
        empty.write_bytes(b"")
        print(f"{lines:,} lines from the first article line on ({articles:,} articles)", file=sys.stderr)
        results = {}
        for name, checkout in (("baseline", args.baseline), ("this", ROOT)):
            if checkout is not None:
                results[name] = run(checkout.resolve(), args.database_url, head, rest, empty)
                print(_line(name, results[name], lines))
        if "baseline" in results:
            before, after = results["baseline"], results["this"]
            total = (before["cpu"] + before["server"]) / (after["cpu"] + after["server"])
            print(f"    ratio: importer CPU {before['cpu'] / after['cpu']:.1f} ×, importer and server {total:.1f} ×")


if __name__ == "__main__":
    main()
