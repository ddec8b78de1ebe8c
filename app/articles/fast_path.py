"""The hottest public reads, answered below FastAPI: GET /v1/articles/{id} and
/v1/articles/slug/{slug}, anonymous, with no query.

It is what every front end asks for most. When the response cache does not hold it (or is
off), the cache middleware asks here before it asks the app: the article then costs its
queries and its serialisation, and no routing, dependency injection or parameter
validation (a third of a cold read, measured in bench/). It answers with the very bytes
the route would send, from the same services. Whatever it does not answer itself, an
article that is not public or a failure, goes on to the route, which answers it as usual
(404, 503 …) with its error handling.
"""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import orjson
from fastapi.routing import APIRoute
from psycopg_pool import AsyncConnectionPool
from sqlmodel import Session
from starlette.types import Scope

from app.articles import documents, reads, routes
from app.articles.queries import ArticleListParams
from app.cache.lists import DirectList
from app.cache.middleware import NOT_TRIED, Direct, NotTried
from app.http.problems import NotFound
from app.http.routing import API_PREFIX
from app.settings import get_settings
from app.store.engine import get_read_engine, make_engine, read_url
from app.store.replicas import WATCH
from app.store.sqlite import sqlite_reader


def _template(endpoint: str) -> str:
    """The route template of one of app.articles.routes' endpoints, as served (/v1/…)."""
    found = [r.path for r in routes.router.routes if isinstance(r, APIRoute) and r.name == endpoint]
    if len(found) != 1:
        raise LookupError(f"app.articles.routes has no single route for {endpoint!r}")
    return API_PREFIX + found[0]


# The two routes answered here, read from their declarations: a path they serve is a path
# this serves, whatever they become. ("id" and "slug": the argument `stored` looks up by.)
ROUTES = {"id": _template("get_article"), "slug": _template("get_article_by_slug")}
_PARAMETER = re.compile(r"\{[^}]+\}")
ARTICLE = re.compile("|".join(_PARAMETER.sub(f"(?P<{by}>[^/]+)", template) for by, template in ROUTES.items()))


@lru_cache(maxsize=4)
def _statement(dialect: str, by: str) -> str:
    return documents.read_statement(dialect, by)


def match(scope: Scope) -> tuple[str, str] | None:
    """("id", id) or ("slug", slug) when this request is one the direct route answers."""
    if scope["query_string"]:
        return None
    found = ARTICLE.fullmatch(scope["path"])
    if found is None:
        return None
    by = found.lastgroup
    return (by, found.group(by)) if by else None


def route(matched: tuple[str, str]) -> str:
    return ROUTES[matched[0]]


def stored(matched: tuple[str, str]) -> documents.Stored | None:
    """The article's stored document, when it has a current one: one primary-key lookup on a
    DB-API cursor, with no ORM and no statement to build."""
    by, value = matched
    engine = get_read_engine()
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            return documents.read(cursor, _statement(engine.dialect.name, by), value)
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool


class FirstTry:
    """The stored document, asked for on the event loop before anything goes to the threadpool.

    On SQLite `stored` runs right there: a lookup in a local file read through mmap takes
    about 20 µs, a tenth of what a hop to the threadpool costs (bench/README.md). On
    PostgreSQL it goes through psycopg's async driver on a small pool of its own, opened for
    the app's lifespan, so waiting on the network holds no thread. Without the pool (the
    lifespan did not run) it answers None and the threadpool does the whole read."""

    def __init__(self) -> None:
        self.pool: AsyncConnectionPool | None = None
        self.sqlite: Any = None  # a DB-API cursor, on SQLite, kept for the lifespan
        self.batches: Batches | None = None  # on PostgreSQL, reads by id gathered
        self.url = ""  # the database the pool reads

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        # With replicas, the pool is on this process's own (app/store/replicas.py); while it is
        # out of use, reads go to the threadpool, which reads where get_read_engine says.
        self.url = WATCH.preferred_url() or get_settings().database_url
        engine = make_engine(self.url)
        connection = None
        if engine.dialect.name == "sqlite":
            # One connection of the pool, kept out of it for the lifespan and used only on
            # the event loop's thread: no checkout and return per read. Each statement is
            # its own transaction (autocommit), so it always sees the last commit.
            connection = engine.raw_connection()
            self.sqlite = sqlite_reader(connection)
        elif engine.dialect.name == "postgresql":
            conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            settings = get_settings()
            self.pool = AsyncConnectionPool(
                conninfo,
                min_size=1,
                max_size=settings.pool_size,
                timeout=settings.database_pool_timeout_seconds,  # then the route answers (503 if it waits too)
                kwargs={"autocommit": True},
                open=False,
            )
            await self.pool.open()
            self.batches = Batches(self.pool)
        try:
            yield
        finally:
            if self.pool is not None:
                pool, self.pool = self.pool, None
                await pool.close()
            if connection is not None:
                self.sqlite.close()
                self.sqlite = None
                connection.close()

    async def __call__(self, matched: tuple[str, str]) -> documents.Stored | NotTried | None:
        """The stored document; None when there is none, NOT_TRIED when it could not look."""
        if self.sqlite is not None:
            return documents.read(self.sqlite, _statement("sqlite", matched[0]), matched[1])
        if self.pool is None:
            return stored(matched) if get_read_engine().dialect.name == "sqlite" else NOT_TRIED
        if read_url() != self.url:
            return NOT_TRIED  # the replica the pool is on is out of use
        if matched[0] == "id" and self.batches is not None:  # set with the pool
            return await self.batches.read(matched[1])
        async with self.pool.connection() as connection:
            cursor = await connection.execute(_statement("postgresql", matched[0]), (matched[1],))
            return documents.from_row(await cursor.fetchone())


class Batches:
    """Reads by id on PostgreSQL, gathered: the ids asked for while a statement is out go
    together in the next one (`= ANY(…)`), so under load one round trip and one statement
    answer many requests, and one request alone waits for nothing (no timer). At most
    IN_FLIGHT statements are out at once, each on a connection of the pool."""

    IN_FLIGHT = 2

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self.waiting: dict[str, list[asyncio.Future[documents.Stored | None]]] = {}
        self.out = 0

    async def read(self, article_id: str) -> documents.Stored | None:
        future = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(article_id, []).append(future)
        if self.out < self.IN_FLIGHT:
            self.out += 1
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, {}
                try:
                    async with self.pool.connection() as connection:
                        cursor = await connection.execute(documents.READ_MANY, (list(batch),))
                        rows = {row[0]: row[1:] for row in await cursor.fetchall()}
                except Exception as exc:
                    for futures in batch.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for article_id, futures in batch.items():
                    answer = documents.from_row(rows.get(article_id))
                    for future in futures:
                        if not future.done():  # its request may have gone away
                            future.set_result(answer)
        finally:
            self.out -= 1


FIRST_TRY = FirstTry()


def render(matched: tuple[str, str], look: bool = True) -> documents.Stored | bytes | None:
    """The article's public JSON, as the route sends it; None when the route must answer
    (not public, unknown, or an old slug's redirect). Blocking: run it in the threadpool.

    Its stored document when it has a current one (looked for only with `look`: FirstTry
    may have just looked), else built from its rows as the route builds it."""
    if look and (body := stored(matched)) is not None:
        return body
    by, value = matched
    with Session(get_read_engine()) as session:
        try:
            article = reads.get(session, value) if by == "id" else reads.get_by_slug(session, value)
        except NotFound:
            return None
        if isinstance(article, str):  # an old slug: the route answers 301
            return None
        return orjson.dumps(reads.represent(session, article))


# What the response cache middleware asks before the app (app.main installs it).
DIRECT = Direct(match, route, render, first=FIRST_TRY)

# The public list, GET /v1/articles, anonymous: the route's own answer (`routes.answer_list`),
# without the router; its items from the stored documents (app/articles/reads.py).
LIST = DirectList(_template("list_articles"), ArticleListParams, routes.answer_list)
