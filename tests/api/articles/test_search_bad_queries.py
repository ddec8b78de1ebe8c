"""Queries that cannot be answered get a clear 400 naming q; odd ones still get an answer."""

import pytest

from tests.support.factories import make_article


def _problem_field(response) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["errors"][0]["field"]


@pytest.mark.parametrize("q", ["le la des", "the of and", "Le ET la", '"de la"'])
def test_only_stop_words_is_a_400_naming_q(client, q):
    assert _problem_field(client.get("/v1/articles", params={"q": q})) == "q"


@pytest.mark.parametrize("q", ["", "   ", '""', "---", "« » ! ?", "OR OR"])
def test_empty_query_is_a_400_naming_q(client, q):
    assert _problem_field(client.get("/v1/articles", params={"q": q})) == "q"


def test_only_exclusions_is_a_400_naming_q(client):
    response = client.get("/v1/articles", params={"q": "-syrie -russie"})
    assert _problem_field(response) == "q"
    assert "exclu" in response.json()["detail"]


def test_ten_kilobytes_of_query_is_a_400_naming_q(client):
    assert _problem_field(client.get("/v1/articles", params={"q": "syrie " * 1700})) == "q"


def test_too_many_words_is_a_400_naming_q(client):
    assert _problem_field(client.get("/v1/articles", params={"q": " ".join(["mot"] * 40)})) == "q"


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE article; --",
        '" OR 1=1 --',
        "title:syrie",
        "NEAR(syrie russie)",
        "syrie*",
        "^syrie",
        "syrie AND NOT russie",
        "(syrie) & !russie | <->",
        'a"b"c"d',
        "syrie OR",
        "OR syrie",
    ],
)
def test_query_syntax_of_either_engine_is_taken_as_words(client, session, q):
    make_article(session, title="La Syrie et la Russie")
    response = client.get("/v1/articles", params={"q": q})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["errors"][0]["field"] == "q"


def test_nul_in_query_is_a_400_not_a_500(client):
    response = client.get("/v1/articles", params={"q": "syrie \u0000 russie"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_sql_fragment_finds_its_words(client, session):
    make_article(session, slug="drop", title="Drop table: la table tombe", language="fr")
    response = client.get("/v1/articles", params={"q": "'; DROP TABLE article; --", "fields": "slug"})
    assert [item["slug"] for item in response.json()["data"]] == ["drop"]


def test_relevance_without_q_is_a_400_naming_sort(client):
    assert _problem_field(client.get("/v1/articles", params={"sort": "relevance"})) == "sort"


@pytest.mark.parametrize("cursor", ["garbage", "WyJyZWxldmFuY2UiLCJ4IiwiaWQiXQ", "WyJyZWxldmFuY2UiLFsxLCJ4Il0sImlkIl0"])
def test_bad_relevance_cursor_is_a_400_naming_cursor(client, cursor):
    response = client.get("/v1/articles", params={"q": "syrie", "cursor": cursor})
    assert _problem_field(response) == "cursor"


def test_cursor_of_another_sort_is_a_400_naming_cursor(client, session):
    for n in range(3):
        make_article(session, title=f"Syrie {n}")
    cursor = client.get("/v1/articles", params={"limit": 1}).json()["meta"]["next_cursor"]
    assert _problem_field(client.get("/v1/articles", params={"q": "syrie", "cursor": cursor})) == "cursor"


def test_quote_search_with_only_stop_words_is_a_400_naming_q(client):
    assert _problem_field(client.get("/v1/quotes", params={"q": "le la"})) == "q"
