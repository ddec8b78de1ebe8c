"""Nodes started together on an empty database migrate it once, and all come up; a node whose
code is older than the database's schema refuses to start, saying why (docs/production.md)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import _create_database
from tests.support.processes import ROOT, start_serve, stop

pytestmark = pytest.mark.slow

UNKNOWN = "0123456789ab"  # a revision no migration of this code names


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """A brand-new database nothing has migrated (a SQLite file, or a database on the server)."""
    url, drop = _create_database(tmp_path)
    try:
        yield url
    finally:
        drop()


def _versions(url: str) -> list[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return list(c.scalars(sa.text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()


def _ready(url: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 120  # three cold starts and one migration on a loaded machine
    while True:
        assert process.poll() is None, f"a node died at start: {log.read_text()}"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} never became ready: {log.read_text()}"
        time.sleep(0.1)


def test_three_nodes_started_together_on_an_empty_database_migrate_it_once(empty_database_url):
    nodes = [start_serve(empty_database_url) for _ in range(3)]
    try:
        for process, url, log in nodes:
            _ready(url, process, log)
        for _process, url, log in nodes:
            assert httpx.get(f"{url}/v1/articles", timeout=5).status_code == 200
            assert "UniqueViolation" not in log.read_text() and "Traceback" not in log.read_text()
    finally:
        for process, _url, _log in nodes:
            stop(process)
    heads = subprocess.run(
        [sys.executable, "-c", "from app.observability.readiness import script_heads; print(*script_heads())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert _versions(empty_database_url) == heads


def _gazette(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAZETTE_DATABASE_URL": url, "GAZETTE_RUN_BACKGROUND_JOBS": "false"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_node_older_than_the_schema_refuses_to_start_and_says_why(empty_database_url):
    assert _gazette(empty_database_url, "db", "upgrade").returncode == 0
    engine = sa.create_engine(empty_database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as c:  # as a newer Gazette's migration would leave it
        c.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": UNKNOWN})
    engine.dispose()

    for args in (("serve", "--port", "1"), ("serve", "--no-migrate", "--port", "1"), ("db", "upgrade")):
        done = _gazette(empty_database_url, *args)
        said = " ".join(done.stderr.split())  # rich wraps long lines
        assert done.returncode == 3, (args, done.stderr)
        assert f"The database is at revision {UNKNOWN}, which this version of Gazette does not know" in said
        assert "Traceback" not in done.stderr
    assert _versions(empty_database_url) == [UNKNOWN]  # left as it was
