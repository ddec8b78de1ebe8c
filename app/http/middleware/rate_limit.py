"""Rate limits, checked before any route (and so before authentication): per API key, per
client address for requests without one, and a lockout of the keys sent from an address that
sent too many bad ones. Counters live in memory, or in Redis to be shared by every process.

Anonymous reads the response cache answers are never counted: they are answered in front of
the middleware (app.main.Gazette) and cost about what a count would (docs/rate-limits.md)."""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http import problems
from app.settings import Settings, get_settings

log = logging.getLogger("gazette.ratelimit")

# Probes and scrapes come from load balancers and Prometheus, often all from one address.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
STORAGE_WARNING_EVERY = 60.0  # seconds between two log lines about unreachable storage


@dataclass(frozen=True)
class Policy:
    """One limit, by the name its headers give it (`"per-key";q=1200;w=60`)."""

    name: str
    item: RateLimitItem

    @property
    def header(self) -> bytes:
        return f'"{self.name}";q={self.item.amount};w={self.item.get_expiry()}'.encode()


@dataclass(frozen=True)
class Count:
    """Where a caller stands against a policy after a request."""

    policy: Policy
    allowed: bool
    remaining: int
    reset: int  # whole seconds until the window frees

    def headers(self) -> list[tuple[bytes, bytes]]:
        state = f'"{self.policy.name}";r={self.remaining};t={self.reset}'.encode()
        return [(b"ratelimit-policy", self.policy.header), (b"ratelimit", state)]


def _storage(settings: Settings) -> Storage:
    if settings.redis_url:
        storage = storage_from_string(
            "async+" + settings.redis_url,
            implementation="redispy",
            key_prefix=settings.rate_limit_prefix,
            wrap_exceptions=True,
        )
    else:
        storage = storage_from_string("async+memory://", wrap_exceptions=True)
    if not isinstance(storage, Storage):  # an "async+" URL makes an asyncio storage; typed as either
        raise TypeError(f"not an asyncio storage: {storage!r}")
    return storage


class Limiter:
    """The three policies over one storage, counted in fixed windows: one counter and one
    expiry per caller (a moving window keeps every request's time, in Redis too)."""

    def __init__(self, settings: Settings) -> None:
        self.per_key = Policy("per-key", parse(settings.rate_limit_per_key))
        per_address = settings.rate_limit_per_address
        self.per_address = Policy("per-address", parse(per_address)) if per_address else None
        self.failed_auth = Policy("failed-auth", parse(settings.rate_limit_failed_auth))
        self.limiter = FixedWindowRateLimiter(_storage(settings))

    async def hit(self, policy: Policy, identity: str) -> Count:
        allowed = await self.limiter.hit(policy.item, policy.name, identity)
        return await self.stand(policy, identity, allowed)

    async def stand(self, policy: Policy, identity: str, allowed: bool | None = None) -> Count:
        stats = await self.limiter.get_window_stats(policy.item, policy.name, identity)
        if allowed is None:
            allowed = stats.remaining > 0
        return Count(policy, allowed, stats.remaining, max(1, math.ceil(stats.reset_time - time.time())))


def key_identity(authorization: bytes) -> str | None:
    """Who a `Bearer` header names, as a hash (the secret itself is never stored); None for
    any other kind of Authorization."""
    scheme, _, secret = authorization.decode("latin-1").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    return hashlib.sha256(secret.encode()).hexdigest()


def _too_many(count: Count, path: str, detail: str) -> Response:
    response = problems.problem_response(
        429,
        "Too many requests",
        detail,
        slug="too-many-requests",
        instance=path,
        headers={"Retry-After": str(count.reset)},
    )
    response.raw_headers.extend(count.headers())
    return response


class RateLimits:
    """A pure ASGI middleware: counts each request against the caller's policy, answers 429
    (problem+json, Retry-After) past it, adds the RateLimit headers to what it counted, and
    counts every 401 given to a request that carried a key against its address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.enabled = get_settings().rate_limit_enabled
        self._limiter: Limiter | None = None  # made in the event loop, on the first request
        self._storage_warned = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self._limiter is None:
            self._limiter = Limiter(get_settings())
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        address = scope["client"][0] if scope.get("client") else "unknown"
        try:
            count = await self._count(self._limiter, authorization, address)
        except Exception as exc:
            self._storage_failed(exc)
            await self.app(scope, receive, send)
            return
        if count is None:
            await self.app(scope, receive, self._sending(send, None, authorization is not None, address))
            return
        if not count.allowed:
            detail = (
                f"Too many failed authentications from {address}; try again in {count.reset} s."
                if count.policy is self._limiter.failed_auth
                else f"Rate limit {count.policy.name} exceeded; try again in {count.reset} s."
            )
            await _too_many(count, scope["path"], detail)(scope, receive, send)
            return
        await self.app(scope, receive, self._sending(send, count, authorization is not None, address))

    async def _count(self, limiter: Limiter, authorization: bytes | None, address: str) -> Count | None:
        """Where the caller stands; None when nothing counts it (a request without a key, and
        no per-address limit set)."""
        if authorization is not None:
            # A key sent from an address that sent too many bad ones is refused before anything
            # looks at it: whoever guesses keys learns nothing more for a while.
            locked = await limiter.stand(limiter.failed_auth, address)
            if not locked.allowed:
                return locked
            if (identity := key_identity(authorization)) is not None:
                return await limiter.hit(limiter.per_key, identity)
        if limiter.per_address is None:
            return None
        return await limiter.hit(limiter.per_address, address)

    def _sending(self, send: Send, count: Count | None, carried_key: bool, address: str) -> Send:
        if count is None and not carried_key:
            return send  # nothing to add, nothing to count

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                if count is not None:
                    message = {**message, "headers": [*message.get("headers", []), *count.headers()]}
                if carried_key and message["status"] == 401:
                    await self._failed_auth(address)
            await send(message)

        return sending

    async def _failed_auth(self, address: str) -> None:
        limiter = self._limiter
        assert limiter is not None
        try:
            failed = await limiter.hit(limiter.failed_auth, address)
        except Exception as exc:
            self._storage_failed(exc)
            return
        if failed.remaining == 0 and failed.allowed:  # the hit that used the last one up
            log.warning("too many failed authentications from %s: keys from it get 429 for %d s", address, failed.reset)

    def _storage_failed(self, exc: Exception) -> None:
        if time.monotonic() - self._storage_warned > STORAGE_WARNING_EVERY:
            self._storage_warned = time.monotonic()
            log.warning("rate limits not applied, their storage failed: %r", exc)
