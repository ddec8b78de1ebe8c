"""Relevance: on a French and an English corpus, each query finds the article it should, first."""

import pytest

from app.demo.load import load as load_demo
from tests.support.factories import make_article
from tests.support.search_corpus import CASES, ENGLISH, FRENCH


def _load_corpus(session) -> None:
    for language, corpus in (("fr", FRENCH), ("en", ENGLISH)):
        for n, (slug, title, standfirst, paragraphs) in enumerate(corpus):
            make_article(
                session,
                slug=slug,
                title=title,
                standfirst=standfirst,
                language=language,
                published_at=f"2016-01-{n + 1:02d}T08:00:00Z",
                body=[{"type": "paragraph", "text": text} for text in paragraphs],
            )


def _top(client, q: str, **params) -> list[str]:
    response = client.get("/v1/articles", params={"q": q, "fields": "slug", **params})
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["data"]]


@pytest.mark.parametrize(("q", "expected"), CASES, ids=[q for q, _ in CASES])
def test_query_finds_expected_article_first(client, session, q, expected):
    _load_corpus(session)
    found = _top(client, q)
    assert found and found[0] == expected, f"{q!r} gave {found[:3]}"


def test_corpus_has_at_least_thirty_cases_in_each_language_mix():
    assert len(CASES) >= 30
    assert {slug[:3] for _, slug in CASES} == {"fr-", "en-"}


def test_french_word_is_not_stemmed_as_english(client, session):
    # "running" is English stemmed to "run" in the English article, left whole in the French one.
    _load_corpus(session)
    assert _top(client, "run") == ["en-running-boom"]
    assert set(_top(client, "running")) == {"en-running-boom", "fr-running-tendance"}


def test_excluded_words_leave_nothing_that_contains_them(client, session):
    _load_corpus(session)
    found = _top(client, "syrie -russe", limit=100)
    assert "fr-discussions-militaires-syrie" not in found
    assert "fr-choigou-damas" not in found


def test_demo_seed_article_comes_first_for_its_subject(client, session):
    load_demo(session)
    session.commit()
    slug = "moscou-et-washington-ouvrent-des-discussions-militaires-sur-la-syrie"
    assert _top(client, "discussion militaire syrie")[0] == slug
    assert slug in _top(client, "Choigou")
