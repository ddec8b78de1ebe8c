"""Keep a SQLite copy of a Gazette's public content: every article, quote, category, person,
source, tag and author in its public read shape (what `GET /v1/<type>/…` answers), and the
site settings when the key may read them.

How it stays right whatever happens to it:

- It starts from the export's `Gazette-Changes-Cursor` (the change feed's position taken
  before the export read anything), stored before anything else, then walks each public list
  page by page; every change from that cursor on is replayed afterwards, so whatever changed
  during the walk is put right. (The export itself carries the write shape, without ids: the
  mirror keeps the read shape, so it reads the lists instead and takes only the cursor.)
- Every page it applies (a page of a list, a page of the feed, an event of the stream) is one
  SQLite transaction holding the rows *and* the position they bring it to. Killed at any point,
  it resumes from the last position committed, with the rows that go with it.
- Applying is idempotent: rows are upserted or deleted by id, and each change is applied by
  reading the resource's current public shape (a change that is replayed reads it again).

The feed names every resource by id. Articles and quotes are read by id; the slugged types
are read by the slug the mirror holds for that id (an old slug answers 301 to the new one),
and an id the mirror does not know yet is found by walking that type's list.
"""

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

# type → its collection, which is also the mirror's table; in the order of the feed.
COLLECTIONS = {
    "article": "articles",
    "quote": "quotes",
    "category": "categories",
    "person": "people",
    "source": "sources",
    "tag": "tags",
    "author": "authors",
}
SLUGGED = frozenset({"category", "person", "source", "tag", "author"})
# Walked first, what others name first (as the export orders them).
WALK_ORDER = ("category", "source", "person", "tag", "author", "article", "quote")
SETTINGS = {"comments": "/v1/settings/comments"}  # site settings: read with an admin key only
EXPORT_CURSOR = "Gazette-Changes-Cursor"
PAGE = 100  # list items per page (the lists' most)
FEED_PAGE = 500  # changes per page of the feed
GONE = (404, 410)
Row = dict[str, Any]


class MirrorError(Exception):
    """The API answered something the mirror cannot go on from (a bad key, a server error)."""


SCHEMA = (
    *(
        f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, slug TEXT, version INTEGER, data TEXT NOT NULL)"
        for table in COLLECTIONS.values()
    ),
    "CREATE TABLE IF NOT EXISTS site_settings (name TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS mirror_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


@dataclass
class Progress:
    """What a run did, for its report."""

    listed: int = 0  # rows read walking the lists
    changes: int = 0  # changes of the feed applied
    upserted: int = 0
    deleted: int = 0
    notes: list[str] = field(default_factory=list)


class Mirror:
    """One mirror: a database file kept in sync with the Gazette at `api_url`."""

    def __init__(
        self,
        api_url: str,
        database: Path,
        *,
        key: str | None = None,
        timeout: float = 30,
        report: Callable[[str], None] = lambda line: None,
    ) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.api_url = api_url.rstrip("/")
        self.http = httpx.Client(base_url=self.api_url, headers=headers, timeout=timeout, follow_redirects=True)
        self.db = sqlite3.connect(database, isolation_level=None)  # transactions by hand: _tx
        self.db.execute("PRAGMA journal_mode=WAL")
        for statement in SCHEMA:
            self.db.execute(statement)
        self.report = report
        self.progress = Progress()
        self.settings_readable = bool(key)

    def close(self) -> None:
        self.http.close()
        self.db.close()

    # The stored state ---------------------------------------------------------------------

    def _state(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM mirror_state WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _set_state(self, name: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO mirror_state (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    @property
    def cursor(self) -> str | None:
        """The feed's position the rows stand at: every change up to it is applied."""
        return self._state("cursor")

    def _tx(self) -> "_Transaction":
        return _Transaction(self.db)

    def _put(self, kind: str, row: Row) -> None:
        self.db.execute(
            f"INSERT INTO {COLLECTIONS[kind]} (id, slug, version, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, version = excluded.version, data = excluded.data",
            (row["id"], row.get("slug"), row.get("version"), json.dumps(row, ensure_ascii=False, sort_keys=True)),
        )
        self.progress.upserted += 1

    def _drop(self, kind: str, row_id: str) -> None:
        self.progress.deleted += self.db.execute(f"DELETE FROM {COLLECTIONS[kind]} WHERE id = ?", (row_id,)).rowcount

    def rows(self, kind: str) -> dict[str, Row]:
        """Every mirrored row of a type, by id."""
        return {
            row_id: json.loads(data) for row_id, data in self.db.execute(f"SELECT id, data FROM {COLLECTIONS[kind]}")
        }

    def counts(self) -> dict[str, int]:
        return {
            table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (*COLLECTIONS.values(), "site_settings")
        }

    # Reading the API ----------------------------------------------------------------------

    def _get(self, path: str, **params: Any) -> httpx.Response:
        response = self.http.get(path, params=params or None)
        if response.status_code >= 400 and response.status_code not in GONE:
            raise MirrorError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
        return response

    def _list_pages(self, kind: str, after: str | None) -> Iterator[tuple[list[Row], str | None]]:
        """Each page of a public list from the page cursor `after`, with the cursor past it (None: the end)."""
        path = f"/v1/{COLLECTIONS[kind]}"
        if kind == "category":  # one page, in menu order
            yield self._get(path).json()["data"], None
            return
        while True:
            body = self._get(path, limit=PAGE, **({"cursor": after} if after else {})).json()
            after = body["meta"]["next_cursor"] if body["meta"]["has_more"] else None
            yield body["data"], after
            if after is None:
                return

    def _read(self, kind: str, row_id: str) -> Row | None:
        """An article's or quote's read shape by id; None when the public cannot see it."""
        response = self._get(f"/v1/{COLLECTIONS[kind]}/{row_id}")
        return None if response.status_code in GONE else response.json()

    def _read_slugged(self, kind: str, row_id: str) -> Row | Literal[False] | None:
        """By the slug the mirror holds for the id: its shape, None when gone, False when the
        mirror does not know the id (or its slug now names another)."""
        held = self.db.execute(f"SELECT slug FROM {COLLECTIONS[kind]} WHERE id = ?", (row_id,)).fetchone()
        if held is None:
            return False
        response = self._get(f"/v1/{COLLECTIONS[kind]}/{held[0]}")
        if response.status_code in GONE:
            return None
        row: Row = response.json()
        return row if row["id"] == row_id else False

    def _read_settings(self) -> dict[str, Row]:
        """The site settings, when the key may read them (an admin key); else nothing."""
        found: dict[str, Row] = {}
        if not self.settings_readable:
            return found
        for name, path in SETTINGS.items():
            response = self.http.get(path)
            if response.status_code in (401, 403):
                self.settings_readable = False
                self.progress.notes.append("the key may not read the site settings (an admin key may): not mirrored")
                return {}
            if response.status_code != 200:
                raise MirrorError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
            found[name] = response.json()
        return found

    def _put_settings(self, settings: dict[str, Row]) -> None:
        for name, data in settings.items():
            self.db.execute(
                "INSERT INTO site_settings (name, data) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET data = excluded.data",
                (name, json.dumps(data, ensure_ascii=False, sort_keys=True)),
            )

    # Syncing ------------------------------------------------------------------------------

    def bootstrap(self) -> None:
        """The first copy (resumed where it stopped): the export's cursor, then every list."""
        if self.cursor is None:
            with self.http.stream("GET", "/v1/export") as response:  # only its header is needed
                if response.status_code != 200 or EXPORT_CURSOR.lower() not in response.headers:
                    raise MirrorError(f"GET /v1/export answered {response.status_code} without {EXPORT_CURSOR}")
                cursor = response.headers[EXPORT_CURSOR]
            with self._tx():
                self._set_state("cursor", cursor)
                self._set_state("api_url", self.api_url)
        elif (self._state("api_url") or self.api_url) != self.api_url:
            raise MirrorError(f"This database mirrors {self._state('api_url')}, not {self.api_url}.")
        for kind in WALK_ORDER:
            name = f"walk:{kind}"
            after = self._state(name)
            if after == "done":
                continue
            for page, following in self._list_pages(kind, after or None):
                shapes = [self._read("article", item["id"]) for item in page] if kind == "article" else page
                with self._tx():
                    for shape in shapes:
                        if shape is not None:
                            self._put(kind, shape)
                    self._set_state(name, following or "done")
                self.progress.listed += len(page)
            self.report(f"{COLLECTIONS[kind]}: listed")
        if self._state("walked") is None:
            settings = self._read_settings()
            with self._tx():
                self._put_settings(settings)
                self._set_state("walked", "yes")

    def apply(self, changes: list[Row], cursor: str) -> None:
        """Apply changes of the feed, then store `cursor` with the rows, in one transaction.
        Each (type, id) is read once, after its last change here."""
        latest: dict[tuple[str, str], str] = {}
        for change in changes:
            latest.pop((change["type"], change["id"]), None)
            latest[(change["type"], change["id"])] = change["op"]
        shapes: dict[tuple[str, str], Row | None] = {}
        unknown: dict[str, set[str]] = {}
        for (kind, row_id), op in latest.items():
            if op == "delete":
                shapes[(kind, row_id)] = None
            elif kind in SLUGGED:
                found = self._read_slugged(kind, row_id)
                if found is False:
                    unknown.setdefault(kind, set()).add(row_id)
                else:
                    shapes[(kind, row_id)] = found
            else:
                shapes[(kind, row_id)] = self._read(kind, row_id)
        listed: dict[str, list[Row]] = {}
        for kind, ids in unknown.items():  # new to the mirror: found on its list, or not public
            listed[kind] = [item for page, _ in self._list_pages(kind, None) for item in page]
            on_list = {item["id"] for item in listed[kind]}
            shapes |= {(kind, row_id): None for row_id in ids - on_list}
        settings = self._read_settings() if any(kind == "article" for kind, _ in latest) else {}
        with self._tx():
            for (kind, row_id), shape in shapes.items():
                if shape is None:
                    self._drop(kind, row_id)
                else:
                    self._put(kind, shape)
            for kind, items in listed.items():
                for item in items:
                    self._put(kind, item)
            self._put_settings(settings)
            self._set_state("cursor", cursor)
        self.progress.changes += len(changes)

    def catch_up(self) -> int:
        """Apply every change the feed holds after the stored cursor; how many."""
        self.bootstrap()
        applied = 0
        while True:
            body = self._get("/v1/changes", since=self.cursor, limit=FEED_PAGE).json()
            if body["data"] or body["meta"]["next_cursor"] != self.cursor:
                self.apply(body["data"], body["meta"]["next_cursor"])
                applied += len(body["data"])
            if not body["meta"]["has_more"]:
                break
        settings = self._read_settings()
        if settings:
            with self._tx():
                self._put_settings(settings)
        return applied

    def follow(self, *, should_stop: Callable[[], bool] = lambda: False, read_timeout: float = 60) -> None:
        """Catch up, then apply each change as the stream (server-sent events) sends it,
        reconnecting with Last-Event-ID whenever the stream ends or the server cannot be
        reached, until `should_stop()`."""
        delay = 1.0
        while not should_stop():
            try:
                applied = self.catch_up()
                self.report(f"caught up: {applied} changes applied; following the stream")
                headers = {"Accept": "text/event-stream"}
                if self.cursor:
                    headers["Last-Event-ID"] = self.cursor
                timeout = httpx.Timeout(10, read=read_timeout)
                with self.http.stream("GET", "/v1/changes", headers=headers, timeout=timeout) as response:
                    if response.status_code == 503:
                        time.sleep(float(response.headers.get("Retry-After", "5")))
                        continue
                    if response.status_code != 200:
                        raise MirrorError(f"the change stream answered {response.status_code}")
                    delay = 1.0
                    for change, event_id in _events(response.iter_lines()):
                        self.apply([change], event_id)
                        if should_stop():
                            return
            except (httpx.HTTPError, MirrorError) as error:
                self.report(f"reconnecting in {delay:g} s: {error}")
                time.sleep(delay)
                delay = min(delay * 2, 30.0)


def _events(lines: Iterator[str]) -> Iterator[tuple[Row, str]]:
    """(change, event id) of each event of a server-sent event stream."""
    event: dict[str, str] = {}
    for line in lines:
        if line.startswith(":"):  # a heartbeat
            continue
        if line:
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")
            continue
        if "data" in event and "id" in event:  # a blank line ends an event
            yield json.loads(event["data"]), event["id"]
        event = {}


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on an error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind is not None else "COMMIT")
