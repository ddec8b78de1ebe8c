"""create_app(): routers, error handlers, middleware, lifespan."""

import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from app import wiring
from app.articles import correction_routes as article_correction_routes
from app.articles import fast_path, formats, refill
from app.articles import pending_routes as article_pending_routes
from app.articles import routes as article_routes
from app.articles import write_routes as article_write_routes
from app.articles.live import routes as live_routes
from app.articles.schemas import NewsArticle
from app.cache.middleware import ResponseCacheMiddleware, answer_hit
from app.changes import routes as change_routes
from app.changes.stream import Hub
from app.feeds import routes
from app.feeds.schemas import JsonFeed
from app.http import openapi
from app.http import problems as errors
from app.http.middleware.access_log import AccessLogMiddleware
from app.http.middleware.body_limit import RequestLimits
from app.http.middleware.cors import CORS
from app.http.middleware.head import HeadAsGet
from app.http.middleware.rate_limit import RateLimits
from app.http.middleware.request_id import RequestIdMiddleware
from app.http.routing import API_PREFIX, allowed_methods
from app.keys import routes as key_routes
from app.observability import database, metrics
from app.observability import routes as health
from app.quotes import routes as quote_routes
from app.settings import get_settings
from app.site import routes as site_routes
from app.sitemaps import routes as sitemap_routes
from app.store import secrets
from app.store.engine import get_engine
from app.store.sessions import LOOP_WRITES
from app.store.sqlite import CHECKPOINTER
from app.taxonomy import category_routes
from app.taxonomy import routes as taxonomy_routes
from app.transfer import routes as transfer_routes
from app.webhooks import routes as webhook_routes

log = logging.getLogger("gazette")

DESCRIPTION = """A headless content API for newsrooms: articles, categories, quotes, people,
sources and attributions as JSON, with a change feed, webhooks, feeds and bulk export.
Every error is `application/problem+json` (RFC 9457)."""


async def _on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    items = exc.errors()
    in_body = any(e.get("loc", ("",))[0] == "body" for e in items)
    malformed = any(e.get("type") in ("json_invalid", "json_type") for e in items)
    problems = errors.field_errors(items, in_body=in_body)
    status = 422 if in_body and not malformed else 400
    title = "Validation failed" if status == 422 else ("Malformed JSON" if malformed else "Invalid parameter")
    return errors.problem_response(status, title, errors.summary(problems), errors=problems, instance=request.url.path)


async def _on_app_error(request: Request, exc: errors.AppError) -> Response:
    return errors.render(exc, instance=request.url.path)


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    titles = {404: "Not found", 405: "Method not allowed"}
    detail = exc.detail if exc.status_code != 404 else f"Nothing at {request.url.path}."
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # every method the path takes, not only its first route's
        allowed = allowed_methods(request.app.routes, request.scope["path"])
        headers = {name: value for name, value in headers.items() if name.lower() != "allow"} | {
            "Allow": ", ".join(allowed)
        }
        detail = f"{request.method} is not allowed here; this path takes {', '.join(allowed)}."
    return errors.problem_response(
        exc.status_code,
        titles.get(exc.status_code, "Error"),
        str(detail),
        headers=headers,
        instance=request.url.path,
    )


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return errors.problem_response(
        500, "Internal error", "Something went wrong on our side.", instance=request.url.path
    )


async def _on_database_error(request: Request, exc: DBAPIError) -> Response:
    """503 when the database went away under the request: a connection that died (SQLAlchemy
    then replaces the pool's older ones), SQLite's write lock still held by another process
    after the busy timeout, or a deadlock PostgreSQL broke by rolling this transaction back.
    Its transaction went with it, so nothing was written. Any other
    database error is a 500 (`_on_unexpected`)."""
    busy = isinstance(exc, OperationalError) and str(exc.orig).startswith(("database is locked", "database is busy"))
    # PostgreSQL broke a deadlock by rolling this transaction back (two writers of members of
    # one translation group at once, each rebuilding the other's document: docs/translations.md).
    busy = busy or getattr(exc.orig, "sqlstate", None) == "40P01"
    if not (exc.connection_invalidated or busy):
        raise exc
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
    return errors.unavailable(
        request.url.path, "The database connection was lost or the database is busy; nothing was written."
    )


async def _on_pool_timeout(request: Request, exc: PoolTimeout) -> Response:
    """503 when every pooled connection stayed busy for GAZETTE_DATABASE_POOL_TIMEOUT_SECONDS:
    the request is answered within that bounded wait, not after SQLAlchemy's 30 s with a 500."""
    log.warning("no database connection free on %s %s: %s", request.method, request.url.path, exc)
    return errors.unavailable(request.url.path, errors.POOL_BUSY)


E = TypeVar("E", bound=Exception)


def _handle(app: FastAPI, kind: type[E], handler: Callable[[Request, E], Awaitable[Response]]) -> None:
    """`handler` answers `kind` and its subclasses."""
    # Starlette types every handler as taking any Exception, not the class it is registered for.
    app.add_exception_handler(kind, handler)  # type: ignore[arg-type]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    import anyio.to_thread

    from app import cache
    from app.kit import jobs

    # Sync routes run in anyio's threadpool; its size is the concurrency of database work.
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().threads
    engine = get_engine()
    CHECKPOINTER.start(engine)  # first: the connections opened from here on leave checkpoints to it
    database.watch_pool(engine)
    try:
        try:
            await anyio.to_thread.run_sync(refill.start_up)
            # The first start makes the signing key (unless GAZETTE_SECRET_KEY is set); later
            # ones read it, here rather than in the first request that needs it.
            await anyio.to_thread.run_sync(secrets.signing_key)
        except SQLAlchemyError as exc:  # serve anyway: /readyz says 503 and tries again
            log.warning("start-up check of stored documents failed (%s); /readyz retries it", type(exc).__name__)
        app.state.change_hub = hub = Hub()  # the change streams of GET /v1/changes
        async with (
            jobs.background(app),
            cache.listening(),
            fast_path.FIRST_TRY.running(),
            LOOP_WRITES.running(),
            hub.running(),
        ):
            # What start-up made (modules, routes, the ORM's mappers: a few hundred thousand
            # objects) lives as long as the process: out of the collector's sight, a full
            # collection no longer walks it all, which showed as the p99 of cold reads.
            gc.collect()
            gc.freeze()
            yield
            gc.unfreeze()
    finally:
        await anyio.to_thread.run_sync(CHECKPOINTER.stop, engine)
        metrics.process_ended()


class Gazette(FastAPI):
    """The app, with the response cache's hits answered in front of it: a hit then costs
    no Starlette middleware, no exception handling layers and no body-limit wrapper, only
    the lookup and its metrics (bench/README.md). Everything else goes through the whole
    stack, where the cache middleware serves misses and anything a hit here does not cover."""

    answer_hits = False
    front: ASGIApp  # request ids and the access log, in front of everything (set by create_app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.answer_hits and scope["type"] == "http":
            started = time.perf_counter()
            status = await answer_hit(scope, send)
            if status is not None:
                metrics.observe(scope, status, time.perf_counter() - started)
                return
        await super().__call__(scope, receive, send)


def _v1() -> APIRouter:
    """Every domain's /v1 routes."""
    router = APIRouter(prefix=API_PREFIX)
    for domain_router in (
        article_write_routes.router,
        article_pending_routes.router,
        article_routes.router,
        article_correction_routes.router,
        live_routes.router,
        category_routes.router,
        quote_routes.router,
        taxonomy_routes.people,
        taxonomy_routes.sources,
        taxonomy_routes.tags,
        taxonomy_routes.authors,
        key_routes.router,
        transfer_routes.router,
        change_routes.router,
        webhook_routes.router,
        site_routes.router,
    ):
        router.include_router(domain_router)
    return router


def create_app(access_log: bool | None = None) -> FastAPI:
    """The app; `access_log` overrides GAZETTE_ACCESS_LOG (`gazette serve --access-log`)."""
    wiring.install()
    settings = get_settings()
    app = FastAPIOffline(
        title="Gazette",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=_lifespan,
        redoc_url=None,
        # FastAPI's own OpenTelemetry looks up the global providers on every request (half the
        # cost of a cache hit, measured); Gazette reports through /metrics instead.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    _handle(app, errors.AppError, _on_app_error)
    _handle(app, RequestValidationError, _on_validation_error)
    _handle(app, StarletteHTTPException, _on_http_error)
    _handle(app, DBAPIError, _on_database_error)
    _handle(app, PoolTimeout, _on_pool_timeout)
    _handle(app, Exception, _on_unexpected)
    app.add_middleware(HeadAsGet)  # innermost: HEAD wherever GET (the cache answers its own)
    # Inside every other middleware: a cache hit still gets CORS headers and is still counted.
    app.add_middleware(
        ResponseCacheMiddleware,
        # Answered below the router when it can: the single article, the public lists.
        direct=(
            fast_path.DIRECT,
            fast_path.LIST,
            quote_routes.LIST,
            category_routes.LIST,
            *taxonomy_routes.LISTS,
        ),
    )
    app.add_middleware(RequestLimits)  # before CORS, so that a 413 carries CORS headers too
    app.add_middleware(RateLimits)  # outside the body limits, inside CORS: a 429 has CORS headers
    if settings.cors_origins:
        app.add_middleware(
            CORS,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Last-Modified", "Link", "Location", "Surrogate-Key"],
        )
    app.add_middleware(metrics.MetricsMiddleware)  # outermost: times everything below
    # fastapi_offline makes the FastAPI instance (and its offline /docs); Gazette only adds
    # a __call__ in front, so the instance takes that class as it is.
    app.__class__ = Gazette
    assert isinstance(app, Gazette)
    app.answer_hits = settings.response_cache_enabled
    logged = settings.access_log if access_log is None else access_log
    app.front = RequestIdMiddleware(AccessLogMiddleware(app._answer) if logged else app._answer)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(_v1())
    app.include_router(routes.router)
    app.include_router(sitemap_routes.router)
    # Shapes the routes name by reference: the article's other formats and the JSON Feed.
    openapi.install(app, models=(NewsArticle, JsonFeed), schemas=formats.ninjs_components())
    return app


def create_logged_app() -> FastAPI:
    """uvicorn's factory for `gazette serve --access-log` (each worker process calls it)."""
    return create_app(access_log=True)


def create_unlogged_app() -> FastAPI:
    """uvicorn's factory for `gazette serve --no-access-log`."""
    return create_app(access_log=False)
