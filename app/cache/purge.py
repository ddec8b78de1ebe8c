"""Purging on writes: keys gathered during the transaction, broadcast inside it, applied after it.

Services name what they change in session.info[PURGE_KEYS] (app.changes.feed.record does it for
public content); on top of that every ORM write to a resource adds its own keys, so a write
that bypasses the services (the demo loader, a script) still purges. At commit the keys are
broadcast in the same transaction (NOTIFY on PostgreSQL, a row in cache_purge on SQLite), so
only committed writes reach other processes, and this process purges its own store right
after the commit.
"""

import functools
import logging
import os
import uuid
from typing import cast

from sqlalchemy import bindparam, event, insert, inspect, text
from sqlalchemy.orm import Session, SessionTransaction

from app.cache.store import STORE
from app.cache.surrogates import LIST_KEY
from app.kit.hooks import Hook
from app.store.engine import is_postgres, rows
from app.store.models import ApiKey, Article, ArticleUpdate, Author, Category, Person, Quote, Source, Tag, resources
from app.store.models.cache import CachePurge
from app.store.models.common import table_of, utcnow
from app.store.replicas import WATCH
from app.store.sql import Prepared

log = logging.getLogger("gazette.cache")

# Where a session collects the surrogate keys its transaction makes stale (session.info):
# app.changes.feed adds those of each change it records, and the commit purges them.
PURGE_KEYS = "gazette.purge_keys"
# Called with (session, keys) just before a transaction that changed `keys` commits:
# app.articles.documents brings the stored documents in step (registered by app.wiring).
BEFORE_COMMIT: Hook[...] = Hook("cache.before_commit")
PENDING = "gazette.cache.pending"  # broadcast, waiting for the commit
CHANNEL = "gazette_purge"
# Past this many keys one purge of everything is cheaper to say and to apply.
MAX_KEYS = 500
NOTIFY_BYTES = 7_000  # PostgreSQL's payload limit is 8,000 bytes (with the origin)
_origin: dict[int, str] = {}
# What a write to an API key purges: no response, but every process's known keys.
KEYS = "api_keys"
Slugged = Category | Tag | Author | Person | Source
SLUGGED: dict[type, str] = {r.model: r.name for r in resources.SLUGGED}


def keys_of(obj: object) -> set[str]:
    """The keys a write to this row makes stale (before its services add theirs)."""
    kind = SLUGGED.get(type(obj))
    state = inspect(obj)
    if kind is not None:
        row = cast(Slugged, obj)  # one of SLUGGED's (not a write to an article: those are the hot ones)
        slugs = {row.slug, *state.attrs.slug.history.deleted}
        return {LIST_KEY[kind], f"{kind}:{row.id}", *(f"{kind}:{s}" for s in slugs if s)}
    if isinstance(obj, Quote):
        articles = {obj.article_id, *state.attrs.article_id.history.deleted}
        return {"quotes", f"quote:{obj.id}", *(f"article:{a}" for a in articles if a)}
    if isinstance(obj, Article):
        # Whether lists change depends on whether the public saw it: after_write knows.
        return {f"article:{obj.id}"}
    if isinstance(obj, ArticleUpdate):
        # Its blog's own pages (app/articles/live/feed.py): no list shows an update.
        return {f"updates:{obj.article_id}"}
    if isinstance(obj, ApiKey):
        # No response is cached for a key; every process's known keys are (app/keys/service.py).
        return {KEYS}
    return set()


def origin() -> str:
    """This process's mark on its broadcasts: it purged itself already at commit, and the
    echo, arriving later, would only drop responses computed since (per pid: forks differ)."""
    pid = os.getpid()
    if pid not in _origin:
        _origin[pid] = "@" + uuid.uuid4().hex[:16]
    return _origin[pid]


def apply(keys: set[str] | frozenset[str]) -> None:
    """Purge `keys` now and, with read replicas, once more when every replica has replayed
    the write: a response computed on a replica meanwhile may show the old rows."""
    if keys:
        STORE.purge(keys)
        again = frozenset(keys)
        WATCH.when_replayed(functools.partial(STORE.purge, again))


def heard(payload: str) -> None:
    """A broadcast from any process (`@origin key key …`): purge unless it is our own."""
    keys = payload.split()
    if keys and keys[0].startswith("@"):
        if keys[0] == origin():
            return
        keys = keys[1:]
    apply(set(keys))


def written_without_flush(session: Session, row: object) -> None:
    """A row written without a flush (app.kit.writes.write_changed): its keys, as a flush's."""
    try:
        keys = keys_of(row)
    except Exception:
        log.exception("could not name what a write changed; purging every cached response")
        keys = {"*"}
    if keys:
        session.info.setdefault(PURGE_KEYS, set()).update(keys)


def _after_flush(session: Session, _context: object) -> None:
    keys: set[str] = set()
    try:
        for obj in session.new:
            keys |= keys_of(obj)
        for obj in session.dirty:
            if session.is_modified(obj, include_collections=False):
                keys |= keys_of(obj)
        for obj in session.deleted:
            keys |= keys_of(obj)
    except Exception:
        log.exception("could not name what a write changed; purging every cached response")
        keys = {"*"}
    if keys:
        session.info.setdefault(PURGE_KEYS, set()).update(keys)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint is released: its keys wait for the transaction around it, so the
        # stored documents are built once, at the real commit. (A savepoint rolled back
        # leaves its keys behind: one purge too many, never one too few.)
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.info.get(PURGE_KEYS):
        # What is derived from the content (the stored article documents) follows the same
        # keys, in this same transaction.
        BEFORE_COMMIT(session, session.info[PURGE_KEYS])
    keys = session.info.pop(PURGE_KEYS, None)
    if not keys:
        return
    session.info.setdefault(PENDING, set()).update(keys)
    payload = " ".join(sorted(keys)) if len(keys) <= MAX_KEYS else "*"
    if is_postgres(session):
        # NOTIFY is transactional: listeners hear it only if, and when, this commits.
        for chunk in _chunks(payload):
            rows(session, _NOTIFY, {"channel": CHANNEL, "payload": f"{origin()} {chunk}"})
    # The log of purges, on both engines: SQLite's processes poll it; on PostgreSQL it is what
    # `gazette purger` resumes from after a restart (app/cdn/), NOTIFY being gone once sent.
    rows(session, _BROADCAST, {"keys": f"{origin()} {payload}", "at": utcnow()})


# Every write that purges runs one of them: prepared (app/store/sql.py).
_NOTIFY = Prepared(text("SELECT pg_notify(:channel, :payload)"))
_BROADCAST = Prepared(
    insert(CachePurge).values(
        keys=bindparam("keys", type_=table_of(CachePurge).c["keys"].type),
        at=bindparam("at", type_=table_of(CachePurge).c["at"].type),
    )
)


def _after_commit(session: Session) -> None:
    root = session.get_transaction()
    if root is not None and root.is_active:
        return  # a savepoint was released; the transaction goes on
    apply(session.info.pop(PENDING, set()) | session.info.pop(PURGE_KEYS, set()))


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(PURGE_KEYS, None)
        session.info.pop(PENDING, None)


def _chunks(payload: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for key in payload.split(" "):
        if current and len(current) + len(key) + 1 > NOTIFY_BYTES:
            chunks.append(current)
            current = ""
        current = f"{current} {key}" if current else key
    return [*chunks, current]


_LISTENERS = (
    ("after_flush", _after_flush),
    ("before_commit", _before_commit),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
)


def install() -> None:
    """Listen to every session's flushes and commits (called by app.wiring)."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    if STORE.clear not in WATCH.on_switch:
        # Reads move to another database (a replica out of use or back): start afresh.
        WATCH.on_switch.append(STORE.clear)
