"""API keys: made once, shown once, kept as a SHA-256 hash, checked in constant time."""

import hashlib
import hmac
import secrets
import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from app.cache.purge import KEYS
from app.cache.store import STORE
from app.http.problems import Forbidden, NotFound, Unauthorized
from app.store.engine import rows
from app.store.models.common import iso, table_of, utcnow
from app.store.models.key import ApiKey, Scope

KEY_PREFIX = "gz_"
# last_used_at is written at most this often per key, so reads don't turn into writes.
TOUCH_EVERY = timedelta(minutes=1)
KNOWN_SECONDS = 60.0  # a known key is looked up again after this long, whatever was heard
KNOWN_MAX = 10_000


def _hash(secret: str) -> str:
    # Keys are 256 random bits: a fast hash is enough (no dictionary to attack), and a
    # lookup by hash keeps authentication to one indexed query.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, *, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key and its secret; the secret is never stored and cannot be shown again."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=secret[:10], key_hash=_hash(secret), scopes=sorted({str(Scope(s)) for s in scopes}))
    session.add(key)
    session.flush()
    return key, secret


def represent(key: ApiKey, secret: str | None = None) -> dict[str, Any]:
    out = {
        "id": key.id,
        "name": key.name,
        "scopes": key.scopes,
        "prefix": key.prefix,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at),
        "revoked_at": iso(key.revoked_at),
    }
    if secret is not None:
        out["key"] = secret
    return out


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))))


def revoke(session: Session, key_id: str) -> None:
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        raise NotFound(f"No active key with id {key_id!r}.")
    key.revoked_at = utcnow()
    session.add(key)
    session.flush()


class KnownKeys:
    """The valid keys this process looked up lately, by hash, so that an authenticated
    request costs no query (a fifth of a one-field PATCH, bench/README.md).

    Trusted only while the process hears purges (app/cache/listener.py), as the response
    cache is: revoking or changing a key in any process purges `api_keys`, which empties this
    on every process within a second, and so does any purge of everything or a pause in
    hearing. A lookup that raced such a purge is not kept (`generation`). An entry is
    looked up again after KNOWN_SECONDS in any case; only valid keys are kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[float, ApiKey]] = {}
        self.generation = 0

    def get(self, digest: str) -> ApiKey | None:
        if not STORE.accepting:
            return None
        found = self._keys.get(digest)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, digest: str, key: ApiKey, generation: int) -> None:
        with self._lock:
            if generation != self.generation or not STORE.accepting:
                return
            if len(self._keys) >= KNOWN_MAX:
                self._keys.clear()
            self._keys[digest] = (time.monotonic() + KNOWN_SECONDS, key)

    def follow(self, purged: frozenset[str]) -> None:
        """A purge (STORE.followers): forget every key when keys or everything changed."""
        if KEYS in purged or "*" in purged:
            with self._lock:
                self.generation += 1
                self._keys.clear()


KNOWN = KnownKeys()
STORE.followers.append(KNOWN.follow)

_BY_HASH = select(*table_of(ApiKey).c).where(table_of(ApiKey).c.key_hash == bindparam("digest"))


def digest_of(authorization: str | None) -> str:
    """The hash of the key an `Authorization: Bearer …` header sends; 401 without one."""
    scheme, _, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized(
            "Send an API key as 'Authorization: Bearer <key>'.", headers={"WWW-Authenticate": 'Bearer realm="gazette"'}
        )
    return _hash(secret.strip())


def authenticate(session: Session, authorization: str | None) -> ApiKey:
    """The key named by an `Authorization: Bearer …` header; 401 when missing or unknown."""
    digest = digest_of(authorization)
    found = rows(session, _BY_HASH, {"digest": digest}).first()
    key = ApiKey(**found._mapping) if found is not None else None  # not in the session: it outlives it
    if key is None or not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
        raise Unauthorized(
            "This API key is not valid.", headers={"WWW-Authenticate": 'Bearer realm="gazette", error="invalid_token"'}
        )
    return key


def needs_touch(key: ApiKey) -> bool:
    """Whether `last_used_at` is old enough to be written again (at most once a minute)."""
    return key.last_used_at is None or utcnow() - key.last_used_at > TOUCH_EVERY


def touch(session: Session, key_id: str) -> None:
    """Record that a key was used, now."""
    session.execute(update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=utcnow()))


def has_scope(key: ApiKey, scope: str) -> bool:
    """`admin` holds every scope."""
    return scope in key.scopes or Scope.admin in key.scopes


def check_scope(key: ApiKey, scope: str) -> None:
    if not has_scope(key, scope):
        raise Forbidden(f"This key lacks the '{scope}' scope.")  # the value, never Scope.x
