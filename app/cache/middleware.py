"""The response cache: a pure ASGI middleware that answers public GETs from memory.

On a hit nothing below it runs (no routing, validation, database or serialisation). On a
miss it runs the app, then adds the HTTP caching headers (ETag, Last-Modified,
Cache-Control, Vary, Surrogate-Key), compresses when asked, answers 304 when the client's
copy is current, and keeps the response until a write purges one of its surrogate keys.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Any, Final, Literal, Protocol
from urllib.parse import parse_qsl

import anyio.to_thread
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.cache import validators as http
from app.cache.counters import count_lookup
from app.cache.store import STORE, Entry
from app.cache.surrogates import derive, earliest_expiry, edge_cache_tag, header_value, parse, plain_header
from app.http import etags, problems
from app.http.middleware.outcome import route_template
from app.settings import get_settings
from app.store.clock import timestamp as now_ts

log = logging.getLogger("gazette.cache")

PUBLIC_PREFIXES = ("/v1/", "/feeds/", "/sitemaps/")
STORED_STATUSES = frozenset({200, 301, 404})
# Larger bodies are streamed through as they come, without an ETag (they are not buffered).
BUFFER_LIMIT = 8_000_000
PRIVATE = b"private, no-store"
# What a route that is not JSON (the feeds) sends to say the earliest expiry (ISO) of an article
# it shows; the cache reads it, keeps the answer no longer, and does not send it on.
EXPIRES_HEADER = b"gazette-expires"
# Headers the cache sets itself; what the app sent for these is replaced.
OWN_HEADERS = frozenset(
    {
        b"content-length",
        b"cache-control",
        b"etag",
        b"last-modified",
        b"vary",
        b"surrogate-key",
        b"edge-cache-tag",
        EXPIRES_HEADER,
    }
)


class _Request:
    """What the cache reads from a request, in one pass over its headers."""

    __slots__ = ("accept", "accept_encoding", "authorization", "host", "if_modified_since", "if_none_match", "origin")

    def __init__(self, scope: Scope) -> None:
        self.host = self.authorization = self.accept_encoding = self.accept = None
        self.if_none_match = self.if_modified_since = self.origin = None
        for name, value in scope["headers"]:
            if name == b"host":
                self.host = value
            elif name == b"authorization":
                self.authorization = value
            elif name == b"origin":
                self.origin = value
            elif name == b"accept-encoding":
                self.accept_encoding = value
            elif name == b"if-none-match":
                self.if_none_match = value
            elif name == b"if-modified-since":
                self.if_modified_since = value
            elif name == b"accept":
                self.accept = value

    @property
    def wants_events(self) -> bool:
        """Asked for as server-sent events (the change feed's stream): never cached, never held back."""
        return self.accept is not None and b"text/event-stream" in self.accept.lower()


class _Capture:
    """A `send` that holds the response back until it is whole, or streams it on once it
    grows past BUFFER_LIMIT (then only headers known without the body are added); a 200 that
    says no-store it streams on at once, as the app sent it."""

    def __init__(self, send: Send, head: bool, stream_headers: Any) -> None:
        self.send, self.head, self.stream_headers = send, head, stream_headers
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = self.streaming = False
        self.known: Any = None  # a direct answer's keys, newest time and version, when it knows them

    async def __call__(self, message: Message) -> None:
        if message["type"] != "http.response.body":
            if message["type"] == "http.response.start":
                self.start = message
                if message["status"] == 200 and b"no-store" in (
                    _header(message.get("headers", []), b"cache-control") or b""
                ):
                    # Never stored (`_entry`), so nothing to wait for: streamed on as it comes. The
                    # export says no-store; held back, each of its readers would cost the server
                    # BUFFER_LIMIT of memory read ahead before its first byte.
                    self.streaming = True
                    await self.send(message)
            else:
                await self.send(message)
            return
        more = message.get("more_body", False)
        if self.streaming:
            if not self.head or not more:
                await self.send({**message, "body": b""} if self.head else message)
            return
        self.chunks.append(message.get("body", b""))
        self.size += len(self.chunks[-1])
        if not more:
            self.complete = True
        elif self.size > BUFFER_LIMIT:
            self.streaming = True
            start = self.start or {"type": "http.response.start", "status": 200, "headers": []}
            await self.send({**start, "headers": self.stream_headers(start)})
            if not self.head:
                await self.send({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": True})
            self.chunks = []


def _header(headers: Any, name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


Query = tuple[tuple[str, str], ...]  # a request's parameters, as the cache keys them


def _query(raw: bytes) -> Query:
    """Parameters sorted by name (the order of repeated ones kept): one key per meaning."""
    if not raw:
        return ()
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="surrogateescape")
    return tuple(sorted(pairs, key=lambda pair: pair[0]))


class _NotTried(Enum):
    NOT_TRIED = "not tried"
    TO_ROUTE = "to the route"


NOT_TRIED: Final = _NotTried.NOT_TRIED  # what a Direct's `first` says when it could not look
NotTried = Literal[_NotTried.NOT_TRIED]
# What a Direct's `first` says when it looked and the route must answer (an error of its own).
TO_ROUTE: Final = _NotTried.TO_ROUTE
ToRoute = Literal[_NotTried.TO_ROUTE]


class Answer(Protocol):
    """A direct route's stored answer: its body, and what the cache needs of it besides
    (app/articles/documents.py: `Stored`)."""

    @property
    def body(self) -> bytes: ...


class Direct:
    """Public reads answered without the app (app/articles/fast_path.py, app/cache/lists.py):
    `match` says whether it answers a request's scope (and with what argument), `route` names its route template for the
    metrics, `render` makes the JSON body (or a stored answer with its keys: see
    app/articles/documents.py) or says None, in the threadpool; `first`, when given, is
    awaited on the event loop before it and may answer instead (None: it looked and found
    nothing, NOT_TRIED: it could not look, TO_ROUTE: the route must answer). `render(argument,
    look)` looks for a stored answer itself only when `look` is true."""

    def __init__(
        self,
        match: Callable[[Scope], Any],
        route: Callable[[Any], str],
        render: Callable[[Any, bool], Answer | bytes | None],
        first: Callable[[Any], Awaitable[Answer | NotTried | ToRoute | None]] | None = None,
    ) -> None:
        self.match, self.route, self.render, self.first = match, route, render, first
        # What this process answered: from a stored answer, or built from rows (/metrics).
        self.answered_stored = 0
        self.answered_built = 0


# scope: where a route hands the cache what it knows of its 200's body (an `Answer` with its
# keys, newest time and expiry: app/cache/lists.py), so the cache need not parse the body for
# them. A slot object, so that the copies of the scope made below (HEAD runs as GET) share it.
HANDED = "gazette.handed"


class Handed:
    __slots__ = ("known",)

    def __init__(self) -> None:
        self.known: Any = None


JSON_START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}


class ResponseCacheMiddleware:
    """Caches and validates anonymous GET and HEAD of /v1/, /feeds/ and /sitemaps/ (see docs/caching.md)."""

    def __init__(self, app: ASGIApp, direct: Direct | Sequence[Direct] = ()) -> None:
        settings = get_settings()
        self.app = app
        self.directs = (direct,) if isinstance(direct, Direct) else tuple(direct)
        self.enabled = settings.response_cache_enabled
        STORE.max_bytes = settings.response_cache_max_bytes
        # With CORS on, an answer depends on Origin (its Access-Control-Allow-Origin), and a hit
        # answered in front of the CORS middleware must say so as a miss does.
        self.vary = http.VARY + (b", Origin" if settings.cors_origins else b"")
        self.edge_cache_tag = settings.edge_cache_tag
        self.policy = {
            status: http.cache_control(
                status,
                max_age=settings.cache_max_age,
                stale_while_revalidate=settings.cache_stale_while_revalidate,
                stale_if_error=settings.cache_stale_if_error,
            )
            for status in STORED_STATUSES
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not scope["path"].startswith(PUBLIC_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        request = _Request(scope)
        query = _query(scope["query_string"])
        if request.wants_events:
            await self.app(scope, receive, send)
            return
        if request.authorization is not None or any(name == "preview" for name, _ in query):
            await self.app(scope, receive, _private(send))
            return
        head = scope["method"] == "HEAD"
        key = (scope["scheme"], request.host, scope["path"], query)
        if self.enabled and (entry := STORE.get(key)) is not None:
            await _serve_hit(scope, entry, request, send, key)
            return
        generation = STORE.generation
        handed = scope[HANDED] = Handed()  # what the route knows of its answer (app/cache/lists.py)
        inner = {**scope, "method": "GET"} if head else scope
        capture = _Capture(send, head, lambda start: self._stream_headers(scope["path"], query, start))
        if (route := await self._answer_directly(scope, capture)) is None:
            await self.app(inner, receive, capture)
            route = route_template(inner)
            if capture.start is not None and capture.start["status"] == 200:
                capture.known = handed.known
        scope["gazette.route"] = route
        if capture.streaming or capture.start is None:
            return
        body = b"".join(capture.chunks)
        entry = (
            self._entry(scope["path"], query, capture.start, body, route, known=capture.known)
            if capture.complete
            else None
        )
        if entry is None:  # not a cacheable answer (an error, or no-store): as the app sent it
            await send(capture.start)
            await send({"type": "http.response.body", "body": b"" if head else body})
            return
        stored = self.enabled and STORE.put(key, entry, generation)
        if self.enabled:
            count_lookup(route, hit=False)
        await respond(entry, request, send, head=head, key=key if stored else None, hit=False)

    async def _answer_directly(self, scope: Scope, capture: _Capture) -> str | None:
        """The route template when a direct route answered (into `capture`); None when the
        app must answer."""
        for direct in self.directs:
            if (argument := direct.match(scope)) is not None:
                break
        else:
            return None
        answer: Answer | bytes | None
        try:
            found = await direct.first(argument) if direct.first is not None else NOT_TRIED
            if found is TO_ROUTE:
                return None
            if found is None or found is NOT_TRIED:
                # `first` found nothing stored: `render` need not look again, only build.
                answer = await anyio.to_thread.run_sync(direct.render, argument, found is NOT_TRIED)
            else:
                answer = found
        except PoolTimeout:
            # Every pooled connection stayed busy for the pool's timeout: the route would wait as
            # long again on the same pool, doubling an overloaded node's answer time. Its 503 now.
            log.warning("no database connection free on GET %s", scope["path"])
            busy = problems.unavailable(scope["path"], problems.POOL_BUSY)
            capture.start = {"type": "http.response.start", "status": 503, "headers": busy.raw_headers}
            capture.chunks, capture.size, capture.complete = [bytes(busy.body)], len(busy.body), True
            return direct.route(argument)
        except Exception:
            log.warning("direct route failed on %s; the app answers", scope["path"], exc_info=True)
            return None
        if answer is None:
            return None
        if isinstance(answer, bytes):
            direct.answered_built += 1
        else:
            direct.answered_stored += 1
        body = answer if isinstance(answer, bytes) else answer.body
        capture.known = None if isinstance(answer, bytes) else answer
        start = JSON_START
        if (headers := getattr(answer, "raw_headers", None)) is not None:
            start = {**JSON_START, "headers": headers}  # the route's own (a list's Link)
        capture.start, capture.chunks, capture.size, capture.complete = start, [body], len(body), True
        return direct.route(argument)

    def _entry(
        self, path: str, query: Query, start: Message, body: bytes, route: str, known: Any = None
    ) -> Entry | None:
        """The cache entry of a response; `known` (keys, newest, version), when the direct
        answer carries them, spares parsing the body for them."""
        status, inner = start["status"], start.get("headers", [])
        control = _header(inner, b"cache-control") or b""
        if status not in STORED_STATUSES or (status != 404 and b"no-store" in control):
            return None
        surrogate = None
        expires: str | None = None
        if known is not None:
            more = derive(path, list(query), status, None)[0] - known.keys
            keys, newest, version = known.keys | more, known.newest, known.version
            expires = getattr(known, "expires", None)
            if not more and plain_header(known.keys_text):
                surrogate = known.keys_text  # what header_value(keys) would make of them
        else:
            doc = parse(body) if status == 200 else None
            keys, newest = derive(path, list(query), status, doc)
            version = doc.get("version") if isinstance(doc, dict) else None
            expires = earliest_expiry(doc) if doc is not None else None
        if status == 200 and (sent := _header(inner, EXPIRES_HEADER)):
            expires = min(filter(None, (expires, sent.decode("latin-1"))))
        if extra := _header(inner, b"surrogate-key"):
            keys, surrogate = keys | set(extra.decode("latin-1").split()), None
        keys = frozenset(keys)
        vary = _header(inner, b"vary")
        common = [
            (b"cache-control", self.policy[status]),
            (b"vary", self.vary + (b", " + vary if vary else b"")),
            (b"surrogate-key", (surrogate or header_value(keys)).encode("latin-1", "replace")),
            *self._edge_cache_tag(keys),
        ]
        kept = [(name, value) for name, value in inner if name.lower() not in OWN_HEADERS]
        modified = max(http.parse_iso(newest), STORE.last_purge(keys))
        content_type = _header(inner, b"content-type") or b""
        return Entry(
            status=status,
            headers=kept + common,
            headers_304=common,
            body=body,
            etag=etags.of_body(body, version),
            modified=modified,
            last_modified=http.last_modified(modified),
            keys=keys,
            route=route,
            compress=status == 200 and len(body) >= http.COMPRESS_MIN and http.compressible(content_type),
            expires=http.parse_iso(expires) if expires else None,
        )

    def _stream_headers(self, path: str, query: Query, start: Message) -> list[tuple[bytes, bytes]]:
        status, inner = start["status"], list(start.get("headers", []))
        if status != 200 or b"no-store" in (_header(inner, b"cache-control") or b""):
            return inner
        keys, _ = derive(path, list(query), status, None)
        return [(n, v) for n, v in inner if n.lower() not in OWN_HEADERS - {b"content-length"}] + [
            (b"cache-control", self.policy[200]),
            (b"vary", self.vary),
            (b"surrogate-key", header_value(keys).encode("latin-1", "replace")),
            *self._edge_cache_tag(keys),
        ]

    def _edge_cache_tag(self, keys: set[str] | frozenset[str]) -> list[tuple[bytes, bytes]]:
        """Akamai's tag header beside Surrogate-Key, when GAZETTE_EDGE_CACHE_TAG says so."""
        if not self.edge_cache_tag:
            return []
        return [(b"edge-cache-tag", edge_cache_tag(keys).encode("latin-1", "replace"))]


async def answer_hit(scope: Scope, send: Send) -> int | None:
    """The status sent when the response cache holds this request's answer, else None and
    nothing sent: what the middleware does on a hit, for a caller in front of the app
    (app.main.Gazette), so a hit costs none of the middleware stack. Requests that
    middleware must see are not answered here: with Authorization (private), Origin (CORS
    headers) or `preview`, or anything but GET and HEAD of the public paths."""
    if scope["method"] not in ("GET", "HEAD") or not scope["path"].startswith(PUBLIC_PREFIXES):
        return None
    request = _Request(scope)
    if request.authorization is not None or request.origin is not None or request.wants_events:
        return None
    query = _query(scope["query_string"])
    key = (scope["scheme"], request.host, scope["path"], query)
    entry = STORE.get(key)
    if entry is None or any(name == "preview" for name, _ in query):
        return None
    return await _serve_hit(scope, entry, request, send, key)


async def _serve_hit(scope: Scope, entry: Entry, request: _Request, send: Send, key: Any) -> int:
    scope["gazette.route"] = entry.route
    count_lookup(entry.route, hit=True)
    return await respond(entry, request, send, head=scope["method"] == "HEAD", key=key, hit=True)


async def respond(entry: Entry, request: _Request, send: Send, *, head: bool, key: Any, hit: bool) -> int:
    """Send `entry` as the answer to `request` (304 when its validators match); the status sent."""
    encoding = http.choose_encoding(request.accept_encoding) if entry.compress else None
    validators: list[tuple[bytes, bytes]] = []
    headers_200, headers_304 = (entry.headers, entry.headers_304) if entry.expires is None else _until_expiry(entry)
    if entry.status == 200:
        since, late, early = entry.last_modified
        validators = [
            (b"etag", etags.header(entry.etag, encoding)),
            (b"last-modified", late if time.time() >= since else early),
        ]
        if (
            etags.matches(request.if_none_match, entry.etag)
            if request.if_none_match is not None
            else request.if_modified_since is not None
            and http.not_modified_since(entry.modified, request.if_modified_since)
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [*headers_304, *validators, _cache_status(hit)],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return 304
    body = entry.body
    if encoding is not None:
        body = entry.variants.get(encoding) or http.compress(entry.body, encoding)
        if key is not None:
            STORE.add_variant(key, entry, encoding, body)
        validators.append((b"content-encoding", encoding.encode()))
    headers = [*headers_200, *validators, (b"content-length", str(len(body)).encode()), _cache_status(hit)]
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
    return entry.status


# Whether this process's response cache answered. Not `X-Cache`, which CDNs set themselves: a
# CDN stores the origin's headers and would replay an origin's MISS on each of its own hits.
CACHE_STATUS = b"gazette-cache"


def _cache_status(hit: bool) -> tuple[bytes, bytes]:
    return (CACHE_STATUS, b"HIT" if hit else b"MISS")


Headers = list[tuple[bytes, bytes]]


def _until_expiry(entry: Entry) -> tuple[Headers, Headers]:
    """`entry`'s headers (of a 200, of a 304) with a Cache-Control that lets no cache keep it
    past the expiry of an article it shows: max-age and s-maxage no longer than the seconds left."""
    left = (entry.expires or 0.0) - now_ts()
    control = (b"cache-control", http.cache_control_until(get_settings().cache_max_age, left))
    return (
        [control if name == b"cache-control" else (name, value) for name, value in entry.headers],
        [control if name == b"cache-control" else (name, value) for name, value in entry.headers_304],
    )


def _private(send: Send) -> Send:
    """Answers that depend on who asks must not be kept by any cache."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if _header(headers, b"cache-control") is None:
                headers.append((b"cache-control", PRIVATE))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
