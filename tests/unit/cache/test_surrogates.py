"""Surrogate keys (app/cache/surrogates.py): what a response holds, from its path, query and
JSON body, and the Surrogate-Key header that names it within a CDN's limits."""

import re
from urllib.parse import unquote

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cache.surrogates import (
    AKAMAI_MAX_TAGS,
    HEADER_BUDGET,
    derive,
    edge_cache_tag,
    header_value,
    parse,
    plain_header,
)

# What a CDN takes as one key: no space, nothing to escape in a header.
CDN_KEY = re.compile(r"[A-Za-z0-9:._~*@%-]+\Z")


def _article(n: int, *, updated: str = "2024-03-01T10:00:00Z", **more) -> dict:
    return {"id": f"A{n}", "slug": f"article-{n}", "title": f"Article {n}", "updated_at": updated, **more}


ARTICLE = _article(
    1,
    updated="2024-03-02T08:00:00Z",
    category={"slug": "monde", "name": "Monde"},
    categories=[{"slug": "monde", "name": "Monde"}, {"slug": "europe", "name": "Europe"}],
    tags=[{"slug": "syrie", "name": "Syrie"}],
    authors=[{"slug": "jeanne-doe", "name": "Jeanne Doe"}],
    image={"url": "https://img.example.org/1.jpg", "credit_source": {"slug": "afp", "name": "AFP"}},
    attributions=[{"role": "agency", "source": {"slug": "reuters", "name": "Reuters"}}],
    quotes=[
        {
            "id": "Q1",
            "text": "…",
            "speaker": {"slug": "ahmed-x", "name": "Ahmed X"},
            "source": {"slug": "le-monde", "name": "Le Monde"},
        }
    ],
    # The body and its HTML never embed a resource: anything in them is not a key.
    body=[{"type": "quote", "quote_id": "Q9", "article": {"id": "NOT-A-KEY"}}],
    body_html="<p>…</p>",
    share={"url": "https://www.example.org/a/1", "article": {"id": "NOT-A-KEY-EITHER"}},
)
WHAT_ARTICLE_1_SHOWS = {
    "article:A1",
    "category:monde",
    "category:europe",
    "tag:syrie",
    "author:jeanne-doe",
    "source:afp",
    "source:reuters",
    "source:le-monde",
    "quote:Q1",
    "person:ahmed-x",
    "article:*",
}


# derive: one resource ---------------------------------------------------------------------


def test_an_article_is_keyed_by_itself_and_everything_it_shows():
    keys, newest = derive("/v1/articles/A1", [], 200, ARTICLE)

    assert keys == WHAT_ARTICLE_1_SHOWS
    assert newest == "2024-03-02T08:00:00Z"


def test_an_article_read_by_slug_is_keyed_by_that_slug_and_its_id():
    keys, _ = derive("/v1/articles/slug/article-1", [], 200, ARTICLE)

    assert keys == WHAT_ARTICLE_1_SHOWS | {"article:article-1"}


@pytest.mark.parametrize("status", [404, 301])
def test_a_missing_or_moved_article_keeps_the_list_key_and_ignores_its_body(status):
    problem = {"type": "https://gazette.dev/problems/not-found", "title": "Not found", "article": {"id": "A2"}}

    keys, newest = derive("/v1/articles/A9", [], status, problem)

    # Published later, it shows up through the lists' purge ("any change to a public article").
    assert keys == {"articles", "article:A9", "article:*"}
    assert newest is None


def test_what_hangs_below_an_article_keeps_the_list_key():
    keys, _ = derive("/v1/articles/A1/revisions", [], 200, {"data": []})

    assert keys == {"articles", "article:A1", "article:*"}


@pytest.mark.parametrize("shape", ["ndjson", "html"])
def test_another_format_of_an_article_is_purged_by_every_kind(shape):
    keys, _ = derive("/v1/articles/A1", [("format", shape)], 200, None)

    assert {"articles", "categories", "quotes", "people", "sources", "tags", "authors"} <= keys
    assert "article:A1" in keys


def test_format_json_is_the_article_itself():
    assert derive("/v1/articles/A1", [("format", "json")], 200, ARTICLE)[0] == WHAT_ARTICLE_1_SHOWS


def test_a_category_is_keyed_by_slug_id_and_parent():
    category = {
        "id": "C1",
        "slug": "europe",
        "name": "Europe",
        "parent": "monde",
        "updated_at": "2024-01-05T00:00:00Z",
    }

    keys, newest = derive("/v1/categories/europe", [], 200, category)

    assert keys == {"category:europe", "category:C1", "category:monde"}
    assert newest == "2024-01-05T00:00:00Z"
    assert not any(k.startswith("article") for k in keys)


def test_a_quote_is_keyed_by_itself_its_speaker_source_and_article():
    quote = {
        "id": "Q1",
        "text": "…",
        "speaker": {"slug": "ahmed-x", "name": "Ahmed X"},
        "source": {"slug": "afp", "name": "AFP"},
        "article": {"id": "A1", "slug": "article-1", "title": "…"},
    }

    keys, _ = derive("/v1/quotes/Q1", [], 200, quote)

    assert keys == {"quote:Q1", "person:ahmed-x", "source:afp", "article:A1", "article:*"}


# derive: lists ----------------------------------------------------------------------------


def test_a_list_of_articles_is_keyed_by_the_list_and_each_item():
    doc = {"data": [ARTICLE, _article(2, updated="2024-03-03T00:00:00Z")], "meta": {"limit": 2, "has_more": False}}

    keys, newest = derive("/v1/articles", [("limit", "2")], 200, doc)

    assert keys == {"articles", "article:A2"} | WHAT_ARTICLE_1_SHOWS
    assert newest == "2024-03-03T00:00:00Z"


def test_an_empty_list_is_keyed_by_the_list_alone():
    assert derive("/v1/articles", [], 200, {"data": [], "meta": {}}) == ({"articles"}, None)


def test_a_filtered_list_is_keyed_by_the_resources_its_filters_name():
    query = [("tag", "syrie"), ("author", "jeanne-doe"), ("source", "afp"), ("speaker", "ahmed-x"), ("limit", "5")]

    keys, _ = derive("/v1/articles", query, 200, {"data": []})

    # An empty page still changes when one of them does (an article gets the tag).
    assert keys == {"articles", "tag:syrie", "author:jeanne-doe", "source:afp", "person:ahmed-x"}


def test_a_list_filtered_by_category_depends_on_the_whole_tree():
    keys, _ = derive("/v1/articles", [("category", "monde")], 200, {"data": []})

    assert keys == {"articles", "categories"}


def test_the_quotes_of_an_article_are_keyed_by_that_article():
    keys, _ = derive("/v1/quotes", [("article", "A1")], 200, {"data": []})

    assert keys == {"quotes", "article:A1", "article:*"}


def test_a_category_tree_is_keyed_by_every_category_in_it():
    tree = {
        "data": [
            {
                "id": "C1",
                "slug": "monde",
                "parent": None,
                "children": [
                    {"id": "C2", "slug": "europe", "parent": "monde", "children": []},
                    {"id": "C3", "slug": "afrique", "parent": "monde", "children": []},
                ],
            }
        ]
    }

    keys, _ = derive("/v1/categories", [("tree", "true")], 200, tree)

    assert keys == {
        "categories",
        "category:C1",
        "category:monde",
        "category:C2",
        "category:europe",
        "category:C3",
        "category:afrique",
    }


def test_a_page_that_is_not_a_collection_is_keyed_by_its_name_and_what_it_embeds():
    change = {"cursor": "x", "type": "article", "id": "A1", "op": "update", "version": 3, "at": "2024-03-01"}

    keys, newest = derive("/v1/changes", [], 200, {"data": [change], "meta": {}})

    assert keys == {"changes"}
    assert newest is None


def test_feeds_and_the_export_are_keyed_broadly():
    assert derive("/feeds/rss.xml", [], 200, None)[0] == {"feeds", "categories", "tags", "authors"}
    assert derive("/v1/export", [], 200, None)[0] == {
        "export",
        "articles",
        "categories",
        "quotes",
        "updates",
        "people",
        "sources",
        "tags",
        "authors",
    }


def test_the_star_key_comes_with_any_article_and_only_then():
    assert "article:*" in derive("/v1/articles/A1", [], 200, None)[0]
    assert "article:*" in derive("/v1/quotes", [], 200, {"data": [{"id": "Q1", "article": {"id": "A1"}}]})[0]
    assert "article:*" not in derive("/v1/quotes", [], 200, {"data": [{"id": "Q1", "article": None}]})[0]
    assert "article:*" not in derive("/v1/tags/syrie", [], 200, {"id": "T1", "slug": "syrie"})[0]


# parse ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"data": []}', {"data": []}),
        (b"[1, 2]", [1, 2]),
        (b"", None),
        (None, None),
        (b"<rss/>", None),
        (b'"text"', None),
        (b'{"data": [', None),
    ],
)
def test_parse_reads_json_documents_only(body, expected):
    assert parse(body) == expected


# header_value and plain_header -------------------------------------------------------------


def test_the_header_names_every_key_sorted():
    keys = {"articles", "article:A2", "article:A1", "tag:syrie", "article:*"}

    assert header_value(keys) == "article:* article:A1 article:A2 articles tag:syrie"


def test_odd_characters_in_a_key_are_percent_encoded():
    value = header_value({"tag:été", "person:jean paul", "author:a/b"})

    assert value.split() == sorted(value.split())
    assert all(CDN_KEY.match(key) for key in value.split())
    assert {unquote(key) for key in value.split()} == {"tag:été", "person:jean paul", "author:a/b"}
    value.encode("latin-1")  # a header value


def _many_articles(count: int, people_each: int) -> set[str]:
    keys = {"articles", "article:*"}
    for n in range(count):
        keys.add(f"article:{n:026d}")
        keys |= {f"person:someone-with-a-long-name-{n}-{p}" for p in range(people_each)}
    return keys


def test_past_the_budget_a_list_names_its_own_items_and_the_list_keys_of_what_they_embed():
    # Its own items: the kind it holds the most keys of (here one person quoted per article).
    keys = _many_articles(150, people_each=1) | {"tag:syrie", "tag:irak"}
    assert len(" ".join(keys)) > HEADER_BUDGET  # the point of this test

    value = header_value(keys)

    assert len(value) <= HEADER_BUDGET
    assert set(value.split()) == {k for k in keys if k.startswith("article")} | {"people", "tags"}


def test_far_past_the_budget_only_list_keys_remain():
    keys = _many_articles(1000, people_each=0) | {"tag:syrie"}
    assert len(" ".join(k for k in keys if k.startswith("article:"))) > HEADER_BUDGET

    value = header_value(keys)

    assert len(value) <= HEADER_BUDGET
    assert set(value.split()) == {"articles", "tags"}


KINDS = {
    "article": "articles",
    "category": "categories",
    "tag": "tags",
    "author": "authors",
    "person": "people",
    "source": "sources",
    "quote": "quotes",
}


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(KINDS)), st.integers(min_value=0, max_value=400)), st.text(max_size=24))
def test_the_header_stays_within_budget_and_every_key_is_covered(counts, name):
    # From a few keys to thousands, some with characters a header cannot carry as they are.
    keys = {f"{kind}:{name}{n}" for kind, count in counts.items() for n in range(count)}
    value = header_value(keys)
    sent = set(value.split())

    assert len(value) <= HEADER_BUDGET
    assert all(CDN_KEY.match(k) for k in sent)
    # Each key is in the header (percent-encoded), or its kind's list key is.
    named = {unquote(k) for k in sent}
    for key in keys:
        assert key in named or KINDS[key.split(":", 1)[0]] in sent


@pytest.mark.parametrize(
    "keys",
    [
        {"articles"},
        {"articles", "article:A1", "article:*", "tag:syrie"},
        {"category:europe", "category:C1", "category:monde"},
    ],
)
def test_plain_header_means_header_value_would_change_nothing(keys):
    text = " ".join(sorted(keys))

    assert plain_header(text)
    assert header_value(keys) == text


@pytest.mark.parametrize(
    "text",
    [
        "tag:été",
        "person:a%20b",
        "author:a/b",
        "tag:a,b",
        "",
        " ".join(sorted(_many_articles(300, people_each=0))),
    ],
)
def test_plain_header_refuses_what_header_value_would_rewrite(text):
    assert not plain_header(text)
    if text:
        assert header_value(set(text.split())) != text


def test_a_document_that_is_bytes_of_json_derives_like_its_parsed_form():
    body = orjson.dumps(ARTICLE)

    assert derive("/v1/articles/A1", [], 200, parse(body)) == derive("/v1/articles/A1", [], 200, ARTICLE)


def test_edge_cache_tag_stays_within_akamais_limits_with_list_keys_for_the_items():
    keys = {"articles", *(f"article:{n:026d}" for n in range(300)), *(f"tag:t{n}" for n in range(40)), "article:*"}
    tags = edge_cache_tag(keys).split(",")
    assert len(tags) <= AKAMAI_MAX_TAGS
    assert {"gazette", "articles", "tags"} <= set(tags)
    assert not any(":" in t or "*" in t or "@" in t for t in tags)
    few = edge_cache_tag({"article:abc", "article:*", "person:jean@doe", "articles"}).split(",")
    assert sorted(few) == ["article.abc", "article.all", "articles", "gazette", "person.jean_doe"]
