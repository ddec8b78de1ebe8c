"""A tag's, author's, speaker's or category's list, walked from the link's (or quote's) own copy of
published_at (app/articles/queries.py `walk`): the same articles in the same order as the
whole list shows them, page after page and across ties, whichever way the article's
published_at was written."""

from datetime import timedelta

import pytest

from app.kit import jobs
from app.store import clock
from app.store.models.common import iso, utcnow
from tests.conftest import reset_database
from tests.support.editorial import create, desk, patch, publish
from tests.support.factories import bearer, make_article, make_author, make_category, make_key, make_person, make_tag

NDJSON = {"Content-Type": "application/x-ndjson"}
# A category without subcategories is walked; a section (its subcategories too) walks articles.
WALKED = (
    {"tag": "syrie"},
    {"author": "jeanne-martin"},
    {"speaker": "john-kerry"},
    {"category": "moyen-orient"},
    {"category": "international"},
)


def _pages(client, limit: int, **params) -> list[str]:
    """Every id of the list, page by page through its cursor."""
    found: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/articles", params=query)
        assert response.status_code == 200, response.text
        found += [item["id"] for item in response.json()["data"]]
        if not (cursor := response.json()["meta"]["next_cursor"]):
            return found


def _whole(client, ids: set[str], **params) -> list[str]:
    """The ids of `ids` in the order the unfiltered list shows them (no walk serves it)."""
    return [i for i in _pages(client, 100, **params) if i in ids]


def _archive(client, session) -> set[str]:
    """Articles of tag `syrie`, author `jeanne-martin` and quoting `john-kerry` (twice in one),
    three at one instant and two at another (ties broken by id), beside others the list must
    leave out: untagged ones at the same instants, a draft, an unpublished one, one under
    embargo."""
    make_tag(session, "syrie")
    make_author(session, "jeanne-martin")
    make_person(session, "john-kerry")
    make_category(session, "moyen-orient", parent=make_category(session, "international"))
    quote = {"text": "Un terrain d'entente.", "speaker": "john-kerry"}
    linked = {"tags": ["syrie"], "authors": ["jeanne-martin"], "quotes": [quote], "category": "moyen-orient"}
    times = ["2020-01-02T00:00:00Z"] * 3 + ["2020-01-01T00:00:00Z"] * 2 + ["2019-06-01T12:30:00Z"]
    ids = {make_article(session, published_at=at, **linked).id for at in times[1:]}
    ids.add(make_article(session, published_at=times[0], **{**linked, "quotes": [quote, quote]}).id)
    for at in times[::3]:
        make_article(session, published_at=at)
    make_article(session, status="draft", **linked)
    headers = desk(session)
    taken_down = create(client, headers, status="published", published_at="2020-01-03T00:00:00Z", **linked)
    assert client.post(f"/v1/articles/{taken_down['id']}/unpublish", headers=headers).status_code == 200
    create(client, headers, status="published", embargoed_until=iso(utcnow() + timedelta(days=1)), **linked)
    return ids


@pytest.mark.parametrize("sort", ["-published_at", "published_at"])
def test_a_tag_or_author_list_pages_as_the_whole_list_does_across_ties(client, session, sort):
    ids = _archive(client, session)
    expected = _whole(client, ids, sort=sort)
    assert len(expected) == 6

    for limit in (1, 2, 4, 20):
        for params in WALKED:
            assert _pages(client, limit, sort=sort, **params) == expected, (limit, params)
    # Beside a second filter, and counted: the same articles.
    assert _pages(client, 2, tag="syrie", author="jeanne-martin", speaker="john-kerry", sort=sort) == expected
    assert _pages(client, 2, category="moyen-orient", tag="syrie", sort=sort) == expected
    for params in WALKED:
        counted = client.get("/v1/articles", params={**params, "sort": sort, "count": "true"}).json()
        assert counted["meta"]["total"] == 6, params
        unknown = client.get("/v1/articles", params={**dict.fromkeys(params, "nowhere"), "sort": sort})
        if "category" in params:  # a category is one the menu has
            assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "category", unknown.text
        else:
            assert unknown.json()["data"] == []


def test_a_new_published_at_or_new_tags_move_the_article_in_its_tag_list(client, session):
    make_tag(session, "syrie")
    make_tag(session, "irak")
    make_category(session, "europe")
    make_category(session, "afrique")
    headers = desk(session)
    filed = {"tags": ["syrie"], "category": "europe"}
    old = create(client, headers, status="published", published_at="2020-01-01T00:00:00Z", **filed)
    new = create(client, headers, status="published", published_at="2021-01-01T00:00:00Z", **filed)
    assert _pages(client, 1, tag="syrie") == [new["id"], old["id"]]
    assert _pages(client, 1, category="europe") == [new["id"], old["id"]]

    assert patch(client, headers, old, {"published_at": "2022-01-01T00:00:00Z"}).status_code == 200
    assert _pages(client, 1, tag="syrie") == [old["id"], new["id"]]
    assert _pages(client, 1, tag="syrie", sort="published_at") == [new["id"], old["id"]]
    assert _pages(client, 1, category="europe") == [old["id"], new["id"]]

    fresh = client.get(f"/v1/articles/{new['id']}", headers=headers).json()
    assert patch(client, headers, fresh, {"tags": ["irak", "syrie"], "category": "afrique"}).status_code == 200
    assert _pages(client, 1, tag="irak") == [new["id"]]
    assert _pages(client, 1, tag="syrie") == [old["id"], new["id"]]
    assert _pages(client, 1, category="afrique") == [new["id"]]
    assert _pages(client, 1, category="europe") == [old["id"]]


def test_an_article_the_clock_publishes_joins_its_tag_and_speaker_lists_at_its_time(client, session):
    make_tag(session, "syrie")
    make_person(session, "john-kerry")
    headers = desk(session)
    earlier = create(client, headers, status="published", tags=["syrie"])
    make_category(session, "europe")
    scheduled = create(
        client, headers, tags=["syrie"], category="europe", quotes=[{"text": "Bientôt.", "speaker": "john-kerry"}]
    )
    at = iso(utcnow() + timedelta(minutes=10))
    assert publish(client, headers, scheduled["id"], at=at).status_code == 200
    soon = iso(utcnow() + timedelta(minutes=5))
    later = create(client, headers, status="published", published_at=soon, tags=["syrie"])
    assert _pages(client, 1, tag="syrie") == [later["id"], earlier["id"]]

    clock.advance(timedelta(minutes=11))
    jobs.run_once()

    assert _pages(client, 1, tag="syrie") == [scheduled["id"], later["id"], earlier["id"]]
    assert _pages(client, 2, tag="syrie", sort="published_at") == [earlier["id"], later["id"], scheduled["id"]]
    assert _pages(client, 1, speaker="john-kerry") == [scheduled["id"]]
    assert _pages(client, 1, category="europe") == [scheduled["id"]]


def test_an_imported_archive_lists_its_tags_in_order(client, session):
    ids = _archive(client, session)
    expected = [client.get(f"/v1/articles/{i}").json()["slug"] for i in _whole(client, ids)]
    exported = client.get("/v1/export").content

    reset_database()
    secret = make_key(session, "content:write", "content:publish", name="importer")
    report = client.post("/v1/import", content=exported, headers={**NDJSON, **bearer(secret)}).json()
    assert report["errors"] == []

    for params in WALKED:
        found = [client.get(f"/v1/articles/{i}").json()["slug"] for i in _pages(client, 2, **params)]
        assert found == expected, params
