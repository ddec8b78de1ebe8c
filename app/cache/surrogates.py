"""Surrogate keys: which resources a public response holds, read from its path, query and body.

A key names one resource (`article:<id>`, `person:<slug>`; slugged resources also by id) or
every list of a kind (`articles`, `people`). Writes purge the keys of what they change and
the lists of its kind (app/cache/purge.py), so a response tagged with every resource it
shows is purged whenever any of them changes, and by nothing else.
"""

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson

from app.store.models import resources

# /v1/<collection> → the kind of one item; the collection's name is the key of its lists.
COLLECTIONS = {r.plural: r.name for r in resources.RESOURCES}
LIST_KEY = {r.name: r.plural for r in resources.RESOURCES}
# Kinds whose other resources name them by slug (articles and quotes: by id only).
SLUGGED = frozenset(r.name for r in resources.SLUGGED)
# Fields through which one representation embeds another resource.
EMBEDDED = {
    "category": "category",
    "categories": "category",
    "children": "category",
    "tags": "tag",
    "authors": "author",
    "author": "author",
    "speaker": "person",
    "source": "source",
    "credit_source": "source",
    "quotes": "quote",
    "article": "article",
    "translations": "article",  # an article's other languages (app/articles/translations.py)
}
# List filters that name a resource: the list changes when that resource does.
FILTERS = {"tag": "tag", "author": "author", "source": "source", "speaker": "person", "article": "article"}
# Parts of a representation that never embed a resource: not worth walking.
OPAQUE = frozenset({"body", "body_html", "share"})
ALL_ARTICLES = "article:*"
_PLAIN = re.compile(r"[A-Za-z0-9:._~*@-]+\Z")
# The header stays under CDN limits (Fastly: 16 KB); past this, embedded keys become list keys.
HEADER_BUDGET = 8_000


def derive(path: str, query: list[tuple[str, str]], status: int, doc: Any) -> tuple[set[str], str | None]:
    """The surrogate keys of a response, and the newest `updated_at` it shows (ISO text);
    `doc` is its parsed JSON body, or None."""
    keys, newest = _derive(path, query, status, doc)
    if any(k.startswith("article:") for k in keys):
        # A key of its own for "every article": what a purge of `article:*` (the site-wide
        # comments switch) names, for CDNs that cannot purge by prefix.
        keys.add(ALL_ARTICLES)
    return keys, newest


def _derive(path: str, query: list[tuple[str, str]], status: int, doc: Any) -> tuple[set[str], str | None]:
    parts = path.strip("/").split("/")
    if parts[0] == "feeds":
        # Feeds show articles with their categories, tags and authors; few URLs, so be broad.
        return {"feeds", "categories", "tags", "authors"}, None
    if parts[0] == "sitemaps":
        # Sitemaps list articles by URL (their category's slug in it): every write to an
        # article purges `articles`, and so does a category's new slug.
        return {"sitemaps", "articles"}, None
    name = parts[1] if len(parts) > 1 else ""
    if name == "export":
        return {"export", *COLLECTIONS}, None
    kind = COLLECTIONS.get(name)
    keys: set[str] = {name or "v1"}
    doc = doc if status == 200 else None
    newest = [""]
    if kind is None:
        if isinstance(doc, dict) and isinstance(doc.get("data"), list):
            _walk(doc["data"], None, keys, newest)
        return keys, newest[0] or None
    if len(parts) == 2:
        for param, value in query:
            if param in FILTERS:
                keys.add(f"{FILTERS[param]}:{value}")
            elif param == "category":
                keys.add("categories")  # which categories a slug covers depends on the tree
        if isinstance(doc, dict):
            _walk(doc.get("data"), kind, keys, newest)
        return keys, newest[0] or None
    by_slug = parts[2] == "slug" and len(parts) > 3
    if kind == "article" and not by_slug and len(parts) > 3 and parts[3] == "updates":
        return _updates(parts, doc, newest), newest[0] or None
    if kind == "article" and any(
        (param == "include" and "updates" in value) or (param == "format" and value == "jsonld")
        for param, value in query
    ):
        # Shows the live blog's updates: purged by their writes (app/articles/live/feed.py),
        # which name the blog by id (by slug, the body's id: `identifier` in JSON-LD).
        shown = doc.get("id") or doc.get("identifier") if isinstance(doc, dict) and by_slug else parts[2]
        if isinstance(shown, str):
            keys.add(f"updates:{shown}")
    keys.add(f"{kind}:{parts[3] if by_slug else parts[2]}")
    below = len(parts) > (4 if by_slug else 3)  # such as /v1/articles/{id}/revisions
    if status == 200 and not below:
        keys.discard(name)  # one resource, not a list; a 404 or 301 keeps the list key
    if any(param == "format" and value != "json" for param, value in query):
        keys.update(LIST_KEY.values())  # other shapes embed things under other names
    _walk(doc, kind, keys, newest)
    return keys, newest[0] or None


def _updates(parts: list[str], doc: Any, newest: list[str]) -> set[str]:
    """A live blog's updates (/v1/articles/{id}/updates[/{update_id}]): the blog's keys, which
    its own writes and its updates' writes purge, and no list: another article's write leaves
    them be, and an update's write purges nothing else."""
    keys = {f"article:{parts[2]}", f"updates:{parts[2]}"}
    if len(parts) > 4:
        keys.add(f"update:{parts[4]}")
    if isinstance(doc, dict):
        data = doc.get("data")
        for item in data if isinstance(data, list) else [doc]:
            if isinstance(item, dict):
                _walk({"author": item.get("author"), "attributions": item.get("attributions")}, None, keys, newest)
                updated = item.get("updated_at")
                if isinstance(updated, str) and updated > newest[0]:
                    newest[0] = updated
    return keys


_PLAIN_HEADER = re.compile(r"[A-Za-z0-9:._~*@ -]+\Z")


def plain_header(text: str) -> bool:
    """Whether sorted, space-separated keys need nothing of `header_value`: short enough,
    and no key to percent-encode."""
    return len(text) <= HEADER_BUDGET and _PLAIN_HEADER.match(text) is not None


def encode_key(key: str) -> str:
    """A key as the Surrogate-Key header writes it: a slug or id taken from a URL may hold
    anything, so the rare odd one is percent-encoded (a CDN purger names keys the same way)."""
    return key if _PLAIN.match(key) else quote(key, safe=":-_.~*@")


def header_value(keys: set[str] | frozenset[str]) -> str:
    """The Surrogate-Key header: every key (percent-encoded), or, when that is too long, list
    keys for kinds other than the response's own items (a write purges its kind's lists too)."""
    keys = {encode_key(k) for k in keys}
    value = " ".join(sorted(keys))
    if len(value) <= HEADER_BUDGET:
        return value
    counts: dict[str, int] = {}
    for k in keys:
        counts[k.split(":", 1)[0]] = counts.get(k.split(":", 1)[0], 0) + 1
    main = max((kind for kind in counts if kind in LIST_KEY), key=counts.__getitem__, default=None)
    compact = {k if ":" not in k or k.startswith(f"{main}:") else LIST_KEY.get(k.split(":", 1)[0], k) for k in keys}
    value = " ".join(sorted(compact))
    if len(value) <= HEADER_BUDGET:
        return value
    return " ".join(sorted({LIST_KEY.get(k.split(":", 1)[0], k) for k in keys}))


# Akamai's Edge-Cache-Tag (techdocs.akamai.com/purge-cache/docs/assign-cache-tags): one header of
# at most 128 comma-delimited tags, each at most 128 characters, without `:`, `*` or `@`; header
# kept under 8 KB. Every response also carries AKAMAI_ALL_TAG: Akamai has no purge of everything.
AKAMAI_ALL_TAG = "gazette"
AKAMAI_MAX_TAGS = 128
AKAMAI_MAX_TAG_CHARS = 128


def akamai_tag(key: str) -> str:
    """A key (as `encode_key` writes it) as an Akamai cache tag: `article:abc` → `article.abc`,
    `article:*` → `article.all`. `gazette purger` purges the same tags (app/cdn/targets.py)."""
    return key.replace(":*", ":all").replace(":", ".").replace("*", "all").replace("@", "_")


def edge_cache_tag(keys: set[str] | frozenset[str]) -> str:
    """The Edge-Cache-Tag header: the keys of `header_value` as Akamai tags, with `gazette`,
    within Akamai's limits (past them, list keys stand for the items, as in Surrogate-Key)."""
    for level in (header_value(keys).split(" "), {LIST_KEY.get(k.split(":", 1)[0], k) for k in keys}):
        tags = {akamai_tag(k) if len(k) <= AKAMAI_MAX_TAG_CHARS else _list_of(k) for k in level if k}
        tags.add(AKAMAI_ALL_TAG)
        value = ",".join(sorted(tags))
        if len(tags) <= AKAMAI_MAX_TAGS and len(value) <= HEADER_BUDGET:
            return value
    return AKAMAI_ALL_TAG  # only a purge of everything reaches it


def _list_of(key: str) -> str:
    kind = key.split(":", 1)[0]
    return akamai_tag(LIST_KEY.get(kind, kind)[:AKAMAI_MAX_TAG_CHARS])


def parse(body: bytes | None) -> Any:
    """The JSON document of a body, or None when it is not one."""
    if not body or body[:1] not in (b"{", b"["):
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _walk(node: Any, kind: str | None, keys: set[str], newest: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, kind, keys, newest)
        return
    if not isinstance(node, dict):
        return
    if kind is not None:
        for attr in ("id", "slug") if kind in SLUGGED else ("id",):
            value = node.get(attr)
            if isinstance(value, str):
                keys.add(f"{kind}:{value}")
        parent = node.get("parent")
        if kind == "category" and isinstance(parent, str):
            keys.add(f"category:{parent}")
        updated = node.get("updated_at")
        if isinstance(updated, str) and updated > newest[0]:
            newest[0] = updated  # one ISO format throughout: text order is time order
    for field, value in node.items():
        if isinstance(value, (dict, list)) and field not in OPAQUE:
            _walk(value, EMBEDDED.get(field), keys, newest)


# Distinct items whose facts are remembered: a page of 20 summaries is about 40 KB, so this
# holds a few hundred pages' items in a few MB (a stored summary is about 2 KB).
ITEM_FACTS = 4096


@lru_cache(maxsize=ITEM_FACTS)
def item_facts(kind: str, item: bytes) -> tuple[frozenset[str], str, str | None]:
    """One list item's keys (as `derive` walks a list's `data`), newest `updated_at` and
    earliest expiry, from its JSON; remembered per distinct bytes, so the same bytes always
    give the same answer and the walk runs once per item and version."""
    doc = orjson.loads(item)
    keys: set[str] = set()
    newest = [""]
    _walk(doc, kind, keys, newest)
    return frozenset(keys), newest[0], earliest_expiry(doc)


def page_facts(kind: str, items: Iterable[bytes]) -> tuple[frozenset[str], str | None, str | None]:
    """What `derive` and `earliest_expiry` find in a list page's items (their keys with
    `article:*` when they show an article, the newest `updated_at`, the earliest expiry),
    item by item: the list's own keys, from its path and query, are not among them."""
    keys: set[str] = set()
    newest = ""
    expiries = []
    for item in items:
        found, updated, expires = item_facts(kind, item)
        keys |= found
        newest = max(newest, updated)
        if expires is not None:
            expiries.append(expires)
    if any(k.startswith("article:") for k in keys):
        keys.add(ALL_ARTICLES)
    return frozenset(keys), newest or None, min(expiries) if expiries else None


# Members that hold an article's expiry: ours, and ninjs' and schema.org's (`format=`).
EXPIRY_MEMBERS = ("expires_at", "expires")


def earliest_expiry(doc: Any) -> str | None:
    """The earliest expiry (ISO text) of an article a parsed JSON body shows, if any."""
    found: list[str] = []
    _expiries(doc, found)
    return min(found) if found else None


def _expiries(node: Any, found: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _expiries(item, found)
    elif isinstance(node, dict):
        for field, value in node.items():
            if field in EXPIRY_MEMBERS and isinstance(value, str):
                found.append(value)
            elif isinstance(value, (dict, list)) and field not in OPAQUE:
                _expiries(value, found)
