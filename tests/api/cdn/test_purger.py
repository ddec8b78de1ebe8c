"""`gazette purger` against a local receiver for each CDN: the method, path, headers and body
each vendor documents (docs/caching.md cites the pages), batches, retries, and its position
across restarts, with a gap purging everything."""

import re
import time

import orjson
import pytest
import requests
from akamai.edgegrid import EdgeGridAuth
from sqlalchemy import delete

from app.cdn.purger import REQUESTS, Purger, State
from app.cdn.targets import from_settings
from app.settings import Settings
from app.store.engine import get_engine
from app.store.models.cache import CachePurge
from tests.support.cdn_receiver import cdn_receiver
from tests.support.editorial import create, desk, patch

AKAMAI = {
    "akamai_client_token": "akab-client",
    "akamai_client_secret": "c2VjcmV0",
    "akamai_access_token": "akab-access",
}


def _purger(tmp_path, **settings) -> Purger:
    purger = Purger(get_engine(), from_settings(Settings(**settings)), State(tmp_path / "purger.json"))
    purger.start()
    return purger


def _until(purger: Purger, receiver, done, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not done(receiver.requests):
        assert time.monotonic() < deadline, f"never sent: {receiver.requests}"
        purger.round()
        time.sleep(0.05)


def _write(client, session) -> dict:
    headers = desk(session)
    article = create(client, headers, title="Avant", status="published")
    assert patch(client, headers, article, {"title": "Après"}).status_code == 200
    return article


def test_fastly_purges_by_surrogate_key_with_its_api_token(client, session, tmp_path):
    with cdn_receiver() as cdn:
        purger = _purger(
            tmp_path, purger_target="fastly", purger_url=cdn.url, purger_service="SVC1", purger_token="tok"
        )
        _until(purger, cdn, lambda r: len(r) == 1)
        everything = cdn.requests[0]
        assert (everything.method, everything.path, everything.headers["fastly-key"]) == (
            "POST",
            "/service/SVC1/purge_all",
            "tok",
        )  # a first start: the CDN may hold anything
        article = _write(client, session)
        _until(purger, cdn, lambda r: any(f"article:{article['id']}" in x.headers.get("surrogate-key", "") for x in r))
        keys: set[str] = set()
        for sent in cdn.requests[1:]:
            assert (sent.method, sent.path, sent.headers["fastly-key"]) == ("POST", "/service/SVC1/purge", "tok")
            batch = sent.headers["surrogate-key"].split(" ")
            assert 0 < len(batch) <= 256 and "fastly-soft-purge" not in sent.headers
            keys.update(batch)
        assert {f"article:{article['id']}", "articles", "feeds"} <= keys


def test_cloudflare_purges_tags_in_batches_with_a_bearer_token(client, session, tmp_path):
    with cdn_receiver() as cdn:
        purger = _purger(
            tmp_path,
            purger_target="cloudflare",
            purger_url=cdn.url,
            purger_service="Z9",
            purger_token="cf",
            purger_batch=2,
        )
        _until(purger, cdn, lambda r: len(r) == 1)
        assert orjson.loads(cdn.requests[0].body) == {"purge_everything": True}
        article = _write(client, session)
        _until(purger, cdn, lambda r: any(f"article:{article['id']}".encode() in x.body for x in r))
        tags: list[str] = []
        for sent in cdn.requests:
            assert (sent.method, sent.path) == ("POST", "/client/v4/zones/Z9/purge_cache")
            assert sent.headers["authorization"] == "Bearer cf" and sent.headers["content-type"] == "application/json"
            body = orjson.loads(sent.body)
            assert set(body) <= {"tags", "purge_everything"}
            tags += body.get("tags", [])
            assert len(body.get("tags", [])) <= 2  # the batch size
        assert {f"article:{article['id']}", "articles", "feeds"} <= set(tags)


def test_akamai_invalidates_tags_with_an_edgegrid_signature_akamai_accepts(client, session, tmp_path):
    with cdn_receiver() as cdn:
        purger = _purger(tmp_path, purger_target="akamai", purger_url=cdn.url, **AKAMAI)
        _until(purger, cdn, lambda r: len(r) == 1)
        article = _write(client, session)
        _until(purger, cdn, lambda r: any(f"article.{article['id']}".encode() in x.body for x in r))
        auth = EdgeGridAuth(
            AKAMAI["akamai_client_token"], AKAMAI["akamai_client_secret"], AKAMAI["akamai_access_token"]
        )
        for sent in cdn.requests:
            assert (sent.method, sent.path) == ("POST", "/ccu/v3/invalidate/tag/production")
            objects = orjson.loads(sent.body)["objects"]
            assert objects and all(re.fullmatch(r"[A-Za-z0-9._~%-]+", tag) for tag in objects)  # no : * @
            header = sent.headers["authorization"]
            fields = dict(part.split("=", 1) for part in header.removeprefix("EG1-HMAC-SHA256 ").split(";") if part)
            prepared = requests.Request(
                "POST", cdn.url + sent.path, data=sent.body, headers={"Content-Type": "application/json"}
            ).prepare()
            # Akamai's own client signs the same request with the same time and nonce: same header.
            assert auth.ah.make_auth_header(prepared, fields["timestamp"], fields["nonce"]) == header


def test_generic_http_posts_the_keys_and_varnish_gets_xkey_purges(client, session, tmp_path):
    with cdn_receiver() as hook, cdn_receiver() as varnish:
        generic = _purger(tmp_path / "a", purger_target="http", purger_url=f"{hook.url}/purge", purger_token="s3")
        xkey = _purger(tmp_path / "b", purger_target="varnish", purger_url=varnish.url)
        _until(generic, hook, lambda r: len(r) == 1)
        _until(xkey, varnish, lambda r: len(r) == 1)
        article = _write(client, session)
        key = f"article:{article['id']}"
        _until(generic, hook, lambda r: any(key.encode() in x.body for x in r))
        _until(xkey, varnish, lambda r: any(key in x.headers.get("xkey-purge", "").split() for x in r))
        assert orjson.loads(hook.requests[0].body) == {"everything": True}
        for sent in hook.requests:
            assert (sent.method, sent.path, sent.headers["authorization"]) == ("POST", "/purge", "Bearer s3")
        assert varnish.requests[0].headers["xkey-purge"] == "*"
        assert {(x.method, x.path) for x in varnish.requests} == {("PURGE", "/")}


def test_a_failed_purge_is_retried_with_backoff_and_counted(client, session, tmp_path):
    with cdn_receiver() as cdn:
        purger = _purger(tmp_path, purger_target="http", purger_url=cdn.url)
        _until(purger, cdn, lambda r: len(r) == 1)
        failed = REQUESTS.labels(outcome="failed")._value.get()
        cdn.fail_first = [503, 500, 502]
        article = _write(client, session)
        key = f"article:{article['id']}".encode()
        _until(purger, cdn, lambda r: sum(key in x.body for x in r) == 4, within=30)
        assert REQUESTS.labels(outcome="failed")._value.get() - failed == 3
        assert not purger.waiting


def test_a_restarted_purger_resumes_and_a_gap_purges_everything(client, session, tmp_path, caplog):
    with cdn_receiver() as cdn:
        first = _purger(tmp_path, purger_target="http", purger_url=cdn.url)
        _until(first, cdn, lambda r: len(r) == 1)
        first.round()
        # Stopped; a write meanwhile: the next run sends its keys, and does not purge everything.
        article = _write(client, session)
        cdn.requests.clear()
        second = _purger(tmp_path, purger_target="http", purger_url=cdn.url)
        _until(second, cdn, lambda r: any(f"article:{article['id']}".encode() in x.body for x in r))
        assert all(b"everything" not in x.body for x in cdn.requests)
        second.round()

        # Stopped again for an hour; writes meanwhile, their rows pruned before it came back: a gap.
        other = _write(client, session)
        with get_engine().begin() as c:
            c.execute(delete(CachePurge))
        saved = orjson.loads((tmp_path / "purger.json").read_bytes())
        (tmp_path / "purger.json").write_bytes(orjson.dumps({**saved, "saved_at": saved["saved_at"] - 3600}))
        cdn.requests.clear()
        with caplog.at_level("WARNING", logger="gazette.purger"):
            third = _purger(tmp_path, purger_target="http", purger_url=cdn.url)
            _until(third, cdn, lambda r: len(r) >= 1)
        assert orjson.loads(cdn.requests[0].body) == {"everything": True}
        assert "gap" in caplog.text and f"article:{other['id']}".encode() not in cdn.requests[0].body


@pytest.mark.parametrize(
    ("settings", "says"),
    [({"purger_target": "fastly"}, "GAZETTE_PURGER_SERVICE"), ({}, "GAZETTE_PURGER_TARGET")],
)
def test_missing_settings_are_named(settings, says):
    from app.cdn.targets import TargetError

    with pytest.raises(TargetError, match=says):
        from_settings(Settings(**settings))
