"""The in-memory response store: an LRU bounded by bytes, indexed by surrogate key."""

import builtins
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.store import clock

# What an entry costs beyond its bodies: headers, key, bookkeeping (an estimate).
ENTRY_OVERHEAD = 600
# How many keys' last purges are remembered; forgetting older ones raises the floor.
PURGES_KEPT = 50_000


@dataclass(slots=True, eq=False)
class Entry:
    """One stored response: status, headers, the identity body and its compressed variants."""

    status: int
    headers: list[tuple[bytes, bytes]]  # all but ETag, Last-Modified and Content-Length/-Encoding
    headers_304: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    modified: float  # when what it shows last changed, at the latest (app/cache/validators.py)
    last_modified: tuple[float, bytes, bytes]  # (from when, the header then, the header before)
    keys: frozenset[str]
    route: str
    compress: bool
    variants: dict[str, bytes] = field(default_factory=dict)
    size: int = 0
    # When an article it shows expires (a timestamp of app/store/clock.py): never served from then.
    expires: float | None = None


class ResponseStore:
    """Entries by request key; a purge of a surrogate key drops every entry that holds it.

    Each purge has a generation number. A response computed while one of its keys was
    purged may show what the purge removed, so `put` refuses it: a request reads
    `generation` before it asks the app, and `put` compares.

    Other in-process caches that must forget what a write changed (the API keys of
    app/keys/service.py) add a callable to `followers`: each purge calls it with the
    purged keys, and a clear with {"*"}.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.accepting = False  # set while a purge listener runs: not hearing, not storing
        self.generation = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[Any, Entry] = OrderedDict()
        self._by_key: dict[str, set[Any]] = {}
        self._bytes = 0
        # Surrogate key → (generation, time) of its last purge; below the floor, unknown.
        self._purged: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._wild: set[str] = set()  # the `kind:*` keys among them
        self._floor = (0, time.time())
        # Counted here, read by app.observability.metrics at scrape time: no cost on the hot path.
        self.purges = self.purged = self.evictions = 0
        self.followers: list[Callable[[frozenset[str]], None]] = []

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry.expires is not None and clock.timestamp() >= entry.expires:
                    self._drop(key)  # it shows an article past its expiry
                    return None
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Any, entry: Entry, generation: int) -> bool:
        """Store `entry` unless one of its keys was purged after `generation` (read before
        the response was computed) or it is too large; evicts the least recently used."""
        entry.size = len(entry.body) + len(entry.route) + ENTRY_OVERHEAD + sum(map(len, entry.keys))
        with self._lock:
            if not self.accepting or entry.size > self.max_bytes // 8 or self._last(entry.keys)[0] > generation:
                return False
            self._drop(key)
            self._entries[key] = entry
            self._bytes += entry.size
            for k in entry.keys:
                self._by_key.setdefault(k, set()).add(key)
            self._evict()
            return True

    # `builtins.bytes`: in this class `bytes` names the property above.
    def add_variant(self, key: Any, entry: Entry, encoding: str, body: builtins.bytes) -> None:
        """Remember a compressed body of a stored entry, counting its bytes."""
        with self._lock:
            if self._entries.get(key) is entry and encoding not in entry.variants:
                entry.variants[encoding] = body
                entry.size += len(body)
                self._bytes += len(body)
                self._evict()

    def purge(self, keys: set[str] | frozenset[str]) -> int:
        """Drop every entry holding one of `keys`: `*` drops all, `article:*` every key
        starting with `article:`. Returns how many entries went."""
        for follow in self.followers:
            follow(frozenset(keys))
        with self._lock:
            self.generation += 1
            self.purges += 1
            mark = (self.generation, time.time())
            if "*" in keys:
                count = len(self._entries)
                self.purged += count
                self._clear(mark)
                return count
            doomed: set[Any] = set()
            for k in keys:
                if k.endswith("*"):
                    for name in [n for n in self._by_key if n.startswith(k[:-1])]:
                        doomed |= self._by_key[name]
                else:
                    doomed |= self._by_key.get(k, set())
                self._purged.pop(k, None)
                self._purged[k] = mark
                if k.endswith(":*"):
                    self._wild.add(k)
            while len(self._purged) > PURGES_KEPT:
                gone, oldest = self._purged.popitem(last=False)
                self._wild.discard(gone)
                self._floor = max(self._floor, oldest)
            for key in doomed:
                self._drop(key)
            self.purged += len(doomed)
            return len(doomed)

    def clear(self) -> None:
        for follow in self.followers:
            follow(frozenset({"*"}))
        with self._lock:
            self.generation += 1
            self._clear((self.generation, time.time()))

    def last_purge(self, keys: frozenset[str]) -> float:
        """When one of `keys` was last purged (or the floor: what this process cannot know).
        A response holding them cannot have changed later than that."""
        with self._lock:
            return self._last(keys)[1]

    def _last(self, keys: frozenset[str]) -> tuple[int, float]:
        latest, purged = self._floor, self._purged
        for k in keys:
            mark = purged.get(k)
            if mark is not None and mark > latest:
                latest = mark
        if self._wild:  # rare: a whole kind purged (`person:*`)
            for kind in {k.split(":", 1)[0] for k in keys}:
                mark = purged.get(kind + ":*")
                if mark is not None and mark > latest:
                    latest = mark
        return latest

    def _clear(self, mark: tuple[int, float]) -> None:
        self._entries.clear()
        self._by_key.clear()
        self._purged.clear()
        self._wild.clear()
        self._bytes = 0
        self._floor = mark

    def _drop(self, key: Any) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._bytes -= entry.size
        for k in entry.keys:
            holders = self._by_key.get(k)
            if holders is not None:
                holders.discard(key)
                if not holders:
                    del self._by_key[k]

    def _evict(self) -> None:
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))
            self.evictions += 1


# The process's one store; the middleware sets its bound from the settings.
STORE = ResponseStore(64_000_000)
