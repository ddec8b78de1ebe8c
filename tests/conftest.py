"""Test harness: a real server over HTTP, a fresh database state for every test.

GAZETTE_TEST_DATABASE_URL picks the engine: unset, each run gets its own SQLite file;
a postgresql:// URL names a server on which each run creates (and then drops) its own
database, so runs side by side never meet.
"""

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support.processes import free_port

TEST_URL = os.environ.get("GAZETTE_TEST_DATABASE_URL", "")
IS_POSTGRES = TEST_URL.startswith("postgres")


def _create_database(tmp: Path) -> tuple[str, callable]:
    """A brand-new, empty database for this run, and a function that removes it."""
    if not IS_POSTGRES:
        path = tmp / "gazette-test.db"
        return f"sqlite:///{path}", lambda: None
    name = f"gazette_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(make_url(TEST_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(TEST_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        # FORCE: pooled connections of the server under test may still be open.
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    url, drop = _create_database(tmp_path_factory.mktemp("db"))
    os.environ["GAZETTE_DATABASE_URL"] = url
    os.environ["GAZETTE_RUN_BACKGROUND_JOBS"] = "false"
    # A whole run calls from one address, with many bad keys: tests/api/http/test_rate_limits.py
    # turns the limits back on for the servers it starts.
    os.environ["GAZETTE_RATE_LIMIT_ENABLED"] = "false"
    os.environ["GAZETTE_SITE_URL"] = "https://www.example.org"
    # Webhook tests deliver to receivers on loopback, which is refused unless opened:
    # tests/api/webhooks/test_destinations.py closes it again to see the refusals.
    os.environ["GAZETTE_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8,::1/128"
    from app.settings import get_settings

    get_settings.cache_clear()
    from app.store import migrate

    migrate.upgrade("heads", url)
    yield url
    from app.store.engine import get_engine

    get_engine().dispose()
    drop()


@pytest.fixture(scope="session")
def server(database_url) -> Iterator[str]:
    """A real Gazette served by uvicorn on a loopback port, for the whole run."""
    import uvicorn

    from app.main import create_app

    port = free_port()
    # The absolute URLs it writes (Link, a redirect's Location) lead back to it.
    os.environ["GAZETTE_API_URL"] = f"http://127.0.0.1:{port}"
    from app.settings import get_settings

    get_settings.cache_clear()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _user_tables(connection) -> list[str]:
    from app.search.index import INDEX_TABLES
    from app.store.engine import metadata

    known = [*INDEX_TABLES, *(t.name for t in reversed(metadata.sorted_tables))]
    existing = set(sa.inspect(connection).get_table_names())
    return [t for t in known if t in existing]


def reset_database() -> None:
    """Empty every table: each test starts from a fresh, empty database."""
    from app.store.engine import get_engine

    engine = get_engine()
    if engine.dialect.name == "sqlite":
        # The write lock first, queued behind a background job's write as app writes are: a
        # deferred BEGIN that read the schema, then met a job's commit, could not write at all
        # ("database is locked" at once, whatever the busy timeout).
        engine = engine.execution_options(sqlite_begin_immediate=True)
    with engine.begin() as c:
        tables = _user_tables(c)
        if engine.dialect.name == "postgresql":
            c.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        else:
            for t in tables:
                c.exec_driver_sql(f'DELETE FROM "{t}"')
    for hook in RESET_HOOKS:
        hook()


# Things that keep state outside the database (caches, indexes) register a reset here.
RESET_HOOKS: list = []


def _clear_response_cache() -> None:
    # Tables are emptied behind the app's back (no purge): cached responses must go too.
    from app import cache

    cache.clear()


RESET_HOOKS.append(_clear_response_cache)


def _reset_clock() -> None:
    # Tests move the one clock (app/store/clock.py) instead of sleeping; each starts on time.
    from app.store import clock

    clock.reset()


RESET_HOOKS.append(_reset_clock)


@pytest.fixture(autouse=True)
def _fresh_state(request) -> Iterator[None]:
    if "database_url" in request.fixturenames:
        request.getfixturevalue("database_url")
        reset_database()
    return


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    """An HTTP client of the running server, as a front end would hold one."""
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


@pytest.fixture
def session(database_url):
    """A database session for factories; what it writes is committed by the factories."""
    from sqlmodel import Session

    from app.store.engine import get_engine

    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


def pytest_collection_modifyitems(config, items) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL: set GAZETTE_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip)
