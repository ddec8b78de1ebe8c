"""Akamai's Edge-Cache-Tag (GAZETTE_EDGE_CACHE_TAG): the response's surrogate keys as Akamai
cache tags, the very tags `gazette purger` purges for Akamai, within Akamai's limits."""

import json
import re

import httpx

from app.cache.surrogates import AKAMAI_MAX_TAG_CHARS, AKAMAI_MAX_TAGS, akamai_tag
from app.cdn.targets import Akamai
from tests.support.factories import make_article
from tests.support.processes import gazette_process

# Akamai refuses these in a tag (techdocs.akamai.com/purge-cache/docs/purge-content-cache-tag).
FORBIDDEN = re.compile(r"[<>*@\\{}:\[\]|\s\"]")


def _tags(response: httpx.Response) -> list[str]:
    return response.headers["edge-cache-tag"].split(",")


def test_each_public_answer_carries_the_tags_the_akamai_purger_sends(database_url, session):
    article = make_article(session)
    with (
        gazette_process(database_url, GAZETTE_EDGE_CACHE_TAG="true") as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        one = client.get(f"/v1/articles/{article.id}")
        again = client.get(f"/v1/articles/{article.id}")  # from the response cache
        listed = client.get("/v1/articles")
        feed = client.get("/feeds/rss.xml")

    akamai = Akamai("https://akamai.example", "production", "ct", "cs", "at")
    for response in (one, again, listed, feed):
        tags = _tags(response)
        assert "gazette" in tags  # what the purger's purge of everything names
        assert len(tags) <= AKAMAI_MAX_TAGS and all(0 < len(t) <= AKAMAI_MAX_TAG_CHARS for t in tags)
        assert not any(FORBIDDEN.search(t) for t in tags), tags
        # Every Surrogate-Key of the answer is there, as the purger names it for Akamai.
        for key in response.headers["surrogate-key"].split():
            assert json.loads(akamai.requests([key])[0].body)["objects"] == [key_tag := akamai_tag(key)]
            assert key_tag in tags, (key, tags)
    assert again.headers["gazette-cache"] == "HIT" and _tags(again) == _tags(one)
    assert f"article.{article.id}" in _tags(one)


def test_without_the_setting_no_edge_cache_tag_is_sent(client, session):
    article = make_article(session)
    assert "edge-cache-tag" not in client.get(f"/v1/articles/{article.id}").headers
