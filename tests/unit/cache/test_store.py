"""The response store on its own: bounded by bytes, purged by key, never keeping a stale answer."""

from app.cache.store import ENTRY_OVERHEAD, Entry, ResponseStore


def _entry(keys: set[str], size: int = 1000) -> Entry:
    return Entry(
        status=200,
        headers=[],
        headers_304=[],
        body=b"x" * size,
        etag="e",
        modified=0.0,
        last_modified=(0.0, b"", b""),
        keys=frozenset(keys),
        route="/r",
        compress=False,
    )


def _store(max_bytes: int = 1_000_000) -> ResponseStore:
    store = ResponseStore(max_bytes)
    store.accepting = True
    return store


def test_the_least_recently_used_go_first_when_bytes_run_out():
    store = _store(max_bytes=8 * (1000 + ENTRY_OVERHEAD + 20))
    for n in range(8):
        store.put(f"/{n}", _entry({f"article:{n}"}), store.generation)
    store.get("/0")  # used again: now the most recent

    store.put("/new", _entry({"article:new"}), store.generation)

    assert store.get("/0") is not None and store.get("/1") is None and store.get("/new") is not None
    assert store.bytes <= store.max_bytes and store.evictions == 1


def test_a_purge_drops_exactly_the_entries_holding_its_keys():
    store = _store()
    store.put("/a", _entry({"article:a", "person:kerry"}), 0)
    store.put("/b", _entry({"article:b"}), 0)
    store.put("/list", _entry({"articles", "article:a", "article:b"}), 0)

    store.purge({"person:kerry"})

    assert store.get("/a") is None and store.get("/b") is not None and store.get("/list") is not None


def test_a_wildcard_purge_drops_every_key_with_the_prefix():
    store = _store()
    store.put("/a", _entry({"article:a"}), 0)
    store.put("/people", _entry({"people"}), 0)

    store.purge({"article:*"})

    assert store.get("/a") is None and store.get("/people") is not None


def test_an_answer_computed_while_its_key_was_purged_is_not_kept():
    store = _store()
    started = store.generation  # the request reads this before asking the app
    store.purge({"article:a"})  # a write commits while the app computes the answer

    kept = store.put("/a", _entry({"article:a"}), started)
    unrelated = store.put("/b", _entry({"article:b"}), started)

    assert not kept and store.get("/a") is None and unrelated


def test_nothing_is_kept_while_purges_cannot_be_heard():
    store = ResponseStore(1_000_000)

    assert not store.put("/a", _entry({"article:a"}), store.generation)


def test_an_entry_larger_than_an_eighth_of_the_bound_is_not_kept():
    store = _store(max_bytes=80_000)

    assert not store.put("/big", _entry({"export"}, size=20_000), store.generation)
