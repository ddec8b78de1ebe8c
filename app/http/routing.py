"""The request's sessions (FastAPI dependencies) and the route class that runs a write
endpoint and commits its session, on the event loop (`LoopWrites`) or in a thread."""

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Annotated, Any, cast

import anyio
import anyio.to_thread
from fastapi import Depends, Request, routing
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from app.store.engine import get_primary_read_engine, get_read_engine
from app.store.sessions import LOOP_WRITES, write_session

# Where the API is served: every domain router is mounted under it (app.main).
API_PREFIX = "/v1"

# session.info: on SQLite, take the write lock in a thread and run the rest on the loop
_LOCK_FIRST = "gazette.lock_first"
_ON_LOOP = "gazette.on_loop"  # session.info: the AsyncSession whose greenlet runs its work


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed once when the endpoint returns without error.

    Made on the event loop; it connects at its first statement, in the endpoint's thread or
    greenlet, or on SQLite in a thread just before `Route` runs the endpoint on the loop
    (`LoopWrites`).
    A sync endpoint commits it as it returns (`Route`, below), so here it is only closed.
    Otherwise (an error, an async endpoint) it is ended here: in a worker thread that no
    other request can hold (when the request threadpool's few threads all wait on SQLite's
    write lock, the commit or rollback that lets them go must not wait for one of them), or
    on the loop. Ending is shielded from cancellation (a client that went away), so the
    transaction and its connection never outlive the request."""
    route = request.scope.get("route")
    loop_route = route if isinstance(route, Route) and route.on_loop else None  # may run on the loop
    on_loop = LOOP_WRITES.session() if loop_route is not None else None
    # LoopWrites.session makes its sync side a sqlmodel Session (`sync_session_class`).
    session = write_session() if on_loop is None else cast(Session, on_loop.sync_session)
    if on_loop is not None:
        session.info[_ON_LOOP] = on_loop
    elif loop_route is not None and loop_route.sqlite_on_loop and LOOP_WRITES.sqlite():
        session.info[_LOCK_FIRST] = True
    try:
        yield session
    except BaseException:
        await _end(session, on_loop, commit=False)
        raise
    if session.in_transaction():
        await _end(session, on_loop, commit=True)
    elif on_loop is not None:
        await on_loop.close()
    else:
        session.close()


async def _end(session: Session, on_loop: AsyncSession | None, *, commit: bool) -> None:
    with anyio.CancelScope(shield=True):
        if on_loop is not None:
            await on_loop.run_sync(_commit_or_rollback, commit)
        else:
            await anyio.to_thread.run_sync(_commit_or_rollback, session, commit, limiter=anyio.CapacityLimiter(1))


def _commit_or_rollback(session: OrmSession, commit: bool) -> None:
    with session:  # closing gives the connection (and SQLite's writer gate) back
        if commit:
            session.commit()
        else:
            session.rollback()


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A session for reads: on a replica when one is in use (app/store/replicas.py), except for
    a request with a key (`Authorization`), which reads from the primary: a client that
    writes with its key sees its write at once on any node (read-your-writes), whatever the
    replicas' lag. Such answers are never cached, so the primary serves only keyed reads.

    Made on the event loop (a session connects at its first statement, in the endpoint's
    thread) and closed by `Route` in the endpoint's thread as it returns: FastAPI would run a
    sync dependency's two halves in the threadpool, two hops of the three a read made
    (bench/README.md, "Fixed cost per request")."""
    engine = get_primary_read_engine() if "authorization" in request.headers else get_read_engine()
    session = Session(engine)
    try:
        yield session
    finally:
        await _close(session)


async def get_primary_read_session() -> AsyncIterator[Session]:
    """A session for admin and editor reads, which must see the latest commit (a key, a webhook
    or a revision made a moment ago): on the primary, never a replica, and never the write
    lock. On SQLite it BEGINs deferred, without the writer gate, so a write that holds the lock
    does not make it wait (WAL), nor it a write; on PostgreSQL it autocommits. Made and closed
    as `get_read_session`'s."""
    session = Session(get_primary_read_engine())
    try:
        yield session
    finally:
        await _close(session)


async def _close(session: Session) -> None:
    """Close a read session the endpoint's thread did not (it raised, or answered with what is
    rendered later): one that holds a connection gives it back in a thread, since that is a
    ROLLBACK on PostgreSQL, a round trip the loop must not wait for."""
    if session.in_transaction():
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(session.close)
    else:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
PrimaryReadSessionDep = Annotated[Session, Depends(get_primary_read_session, scope="function")]


class Route(APIRoute):
    """An APIRoute whose sync endpoint, when it takes the request's write session
    (`session: SessionDep`), runs and commits in one go: on the event loop (`LoopWrites`), or
    in a threadpool thread.

    Without this the commit waits for the event loop to take the endpoint's result and send
    the session's end to another thread: on SQLite the write lock stays held meanwhile, for
    as long as the loop is busy with other requests, and every queued writer waits that long
    too. `get_session` still ends the session: it rolls back after an error, and
    commits for endpoints that do not take this path (async ones)."""

    # On SQLite, whether the route's writes may run on the loop: a statement there stops every
    # other request while it runs, so only routes whose writes touch one article's rows say so
    # (`ArticleRoute`). A rename, which marks every document that shows the name stale in one
    # statement, stays in a thread, where SQLite lets the loop go on meanwhile.
    sqlite_on_loop = False

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        wrapped = _committing(endpoint)
        self.on_loop = wrapped is not endpoint  # its session's work may run on the loop
        super().__init__(path, wrapped if self.on_loop else _closing(endpoint), **kwargs)


class ArticleRoute(Route):
    """A Route whose writes change one article (and its quotes, links, revision, document):
    short enough on SQLite to run on the event loop once the write lock is held."""

    sqlite_on_loop = True


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(endpoint):
        return endpoint
    parameter = inspect.signature(endpoint).parameters.get("session")
    if parameter is None or parameter.annotation != SessionDep:
        return endpoint

    def call_and_commit(values: dict[str, Any]) -> Any:
        answer = endpoint(**values)
        values["session"].commit()
        return answer

    @functools.wraps(endpoint)
    async def run(**values: Any) -> Any:
        session = values["session"]
        if (on_loop := session.info.get(_ON_LOOP)) is not None:
            return await on_loop.run_sync(lambda _: call_and_commit(values))
        if session.info.get(_LOCK_FIRST):
            await run_in_threadpool(session.connection)  # BEGIN IMMEDIATE: waits for the write lock
            return call_and_commit(values)
        return await run_in_threadpool(call_and_commit, values)

    return run


def _closing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A sync endpoint that reads (`session: ReadSessionDep` or `PrimaryReadSessionDep`), run
    in the threadpool and its session closed there as it returns, when what it returns is a
    Response already rendered (not a stream, nor a model FastAPI serialises later): one hop
    for the whole read, the dependency then has nothing left to close."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint
    parameter = inspect.signature(endpoint).parameters.get("session")
    if parameter is None or parameter.annotation not in (ReadSessionDep, PrimaryReadSessionDep):
        return endpoint

    def call_and_close(values: dict[str, Any]) -> Any:
        answer = endpoint(**values)
        if isinstance(answer, Response) and not isinstance(answer, StreamingResponse):
            values["session"].close()
        return answer

    @functools.wraps(endpoint)
    async def run(**values: Any) -> Any:
        return await run_in_threadpool(call_and_close, values)

    return run


def flat_routes(routes: Iterable[Any]) -> list[Any]:
    """Every route of an app, those of included routers too (FastAPI ≥ 0.130 keeps included
    routers nested; iter_route_contexts flattens them), each with its `path_regex`, `methods`
    and `endpoint`."""
    return list(routing.iter_route_contexts(list(routes)) if hasattr(routing, "iter_route_contexts") else routes)


# The order an Allow header names methods in.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: Iterable[Any], path: str) -> list[str]:
    """Every method some route answers at `path`, for the Allow header of a 405 (HEAD wherever
    GET: app/http/middleware/head.py). Starlette names only the methods of the first route
    whose path matches, and a path is often served by two (GET /v1/articles in the reads, POST
    in the writes)."""
    methods: set[str] = set()
    for route in flat_routes(routes):
        pattern = getattr(route, "path_regex", None)
        if route.methods and pattern is not None and pattern.match(path):
            methods |= set(route.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods, key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else len(_METHOD_ORDER), m))
