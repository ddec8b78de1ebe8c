"""The public article list and lookups, as a front end calls them."""

from tests.support.factories import (
    make_article,
    make_author,
    make_category,
    make_person,
    make_source,
    make_tag,
)


def test_list_shows_published_articles_newest_first(client, session):
    old = make_article(session, title="Old", published_at="2020-01-01T00:00:00Z")
    new = make_article(session, title="New", published_at="2021-01-01T00:00:00Z")
    make_article(session, title="Draft", status="draft")

    body = client.get("/v1/articles").json()

    assert [a["id"] for a in body["data"]] == [new.id, old.id]
    assert body["meta"] == {"limit": 20, "has_more": False, "next_cursor": None}


def test_list_items_carry_no_body_unless_included(client, session):
    make_article(session)

    plain = client.get("/v1/articles").json()["data"][0]
    full = client.get("/v1/articles", params={"include": "body,quotes,attributions"}).json()["data"][0]

    assert "body" not in plain and "quotes" not in plain and "attributions" not in plain
    assert full["body"] == [{"type": "paragraph", "text": full["body"][0]["text"]}]
    assert full["body_html"].startswith("<p>") and full["quotes"] == [] and full["attributions"] == []


def test_cursor_pages_through_everything_once(client, session):
    ids = {make_article(session).id for _ in range(7)}

    seen, cursor, pages = [], None, 0
    while True:
        response = client.get("/v1/articles", params={"limit": 3, **({"cursor": cursor} if cursor else {})})
        body = response.json()
        seen += [a["id"] for a in body["data"]]
        pages += 1
        cursor = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            assert "link" not in response.headers
            break
        assert f"cursor={cursor}" in response.headers["link"] and 'rel="next"' in response.headers["link"]

    assert pages == 3 and len(seen) == 7 and set(seen) == ids


def test_count_gives_total_only_when_asked(client, session):
    for _ in range(3):
        make_article(session)

    assert "total" not in client.get("/v1/articles", params={"limit": 1}).json()["meta"]
    assert client.get("/v1/articles", params={"limit": 1, "count": "true"}).json()["meta"]["total"] == 3


def test_category_filter_includes_subcategories(client, session):
    world = make_category(session, "international")
    europe = make_category(session, "europe", parent=world)
    sport = make_category(session, "sport")
    a = make_article(session, category="international")
    b = make_article(session, category="europe")
    make_article(session, category="sport")

    ids = {x["id"] for x in client.get("/v1/articles", params={"category": "international"}).json()["data"]}
    only_europe = [x["id"] for x in client.get("/v1/articles", params={"category": "europe"}).json()["data"]]

    assert ids == {a.id, b.id} and only_europe == [b.id]
    assert world and europe and sport


def test_filters_by_tag_author_source_speaker_and_language(client, session):
    make_tag(session, "syrie")
    make_author(session, "jeanne-martin")
    make_source(session, "le-figaro")
    make_person(session, "john-kerry")
    tagged = make_article(session, tags=["syrie"])
    written = make_article(session, authors=["jeanne-martin"])
    sourced = make_article(session, attributions=[{"source": "le-figaro", "role": "read_on"}])
    quoted = make_article(session, quotes=[{"text": "Nous parlons.", "speaker": "john-kerry"}])
    english = make_article(session, language="en")

    def ids(**params):
        return [x["id"] for x in client.get("/v1/articles", params=params).json()["data"]]

    assert ids(tag="syrie") == [tagged.id]
    assert ids(author="jeanne-martin") == [written.id]
    assert ids(source="le-figaro") == [sourced.id]
    assert ids(speaker="john-kerry") == [quoted.id]
    assert ids(lang="en") == [english.id]


def test_date_filters_and_sorts(client, session):
    a = make_article(session, published_at="2015-01-01T00:00:00Z")
    b = make_article(session, published_at="2016-01-01T00:00:00Z")

    def ids(**params):
        return [x["id"] for x in client.get("/v1/articles", params=params).json()["data"]]

    assert ids(published_after="2015-06-01T00:00:00Z") == [b.id]
    assert ids(published_before="2015-06-01T00:00:00Z") == [a.id]
    assert ids(sort="published_at") == [a.id, b.id]
    assert ids(sort="-published_at") == [b.id, a.id]
    assert set(ids(sort="-updated_at")) == {a.id, b.id}
    assert ids(updated_since="2999-01-01T00:00:00Z") == []


def test_fields_trims_the_representation(client, session):
    article = make_article(session)

    item = client.get("/v1/articles", params={"fields": "id,title"}).json()["data"][0]
    one = client.get(f"/v1/articles/{article.id}", params={"fields": "id,slug"}).json()

    assert item == {"id": article.id, "title": article.title}
    assert one == {"id": article.id, "slug": article.slug}


def test_article_by_id_and_by_slug(client, session):
    article = make_article(session, title="Un pas en avant", slug="un-pas-en-avant")

    by_id = client.get(f"/v1/articles/{article.id}").json()
    by_slug = client.get("/v1/articles/slug/un-pas-en-avant").json()

    assert by_id == by_slug
    assert by_id["url"] == "https://www.example.org/un-pas-en-avant"
    assert by_id["comments"] == {"enabled": True, "scope": "article", "reason": None}


def test_drafts_are_not_found_by_id_or_slug(client, session):
    draft = make_article(session, status="draft", slug="secret-draft")

    assert client.get(f"/v1/articles/{draft.id}").status_code == 404
    assert client.get("/v1/articles/slug/secret-draft").status_code == 404


def test_bad_parameters_are_400_naming_the_parameter(client):
    cases = {
        "limit=0": "limit",
        "limit=101": "limit",
        "limit=abc": "limit",
        "sort=title": "sort",
        "fields=id,nope": "fields",
        "include=comments": "include",
        "cursor=garbage": "cursor",
        "published_after=yesterday": "published_after",
        "category=nowhere": "category",
        "unknown=1": "unknown",
        "count=maybe": "count",
    }
    for query, field in cases.items():
        response = client.get(f"/v1/articles?{query}")
        assert response.status_code == 400, query
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 400 and problem["errors"][0]["field"] == field, query


def test_unknown_things_are_404_and_wrong_methods_405_as_problems(client):
    for path in (
        "/v1/articles/nope",
        "/v1/articles/slug/nope",
        "/v1/categories/nope",
        "/v1/quotes/nope",
        "/v1/people/nope",
        "/nowhere",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    response = client.delete("/v1/categories")
    assert response.status_code == 405 and response.json()["status"] == 405


def test_a_tag_or_author_list_is_the_same_read_from_the_link_or_walked(client, session, monkeypatch):
    """Below DRIVE_FROM_LINK_BELOW links a tag's page is read from the link table, above it
    the articles are walked in order (sorted by updated_at; by published_at the link's own
    index is walked): the same pages either way, cursors and drafts included."""
    from app import cache
    from app.articles import queries

    make_tag(session, "syrie")
    make_author(session, "jeanne-martin")
    published = [
        make_article(session, tags=["syrie"], authors=["jeanne-martin"], published_at=f"2020-01-0{n}T00:00:00Z")
        for n in range(1, 6)
    ]
    make_article(session, tags=["syrie"], authors=["jeanne-martin"], status="draft")
    make_article(session)
    newest_first = [a.id for a in reversed(published)]

    def pages(**params) -> list[list[str]]:
        found, cursor = [], None
        while True:
            body = client.get("/v1/articles", params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})})
            found.append([x["id"] for x in body.json()["data"]])
            if not (cursor := body.json()["meta"]["next_cursor"]):
                return found

    for below in (queries.DRIVE_FROM_LINK_BELOW, 1):  # read from the link, then walked
        monkeypatch.setattr(queries, "DRIVE_FROM_LINK_BELOW", below)
        cache.clear()  # each way answers for itself, not from the response cache
        for params in (
            {"tag": "syrie"},
            {"author": "jeanne-martin"},
            {"tag": "syrie", "sort": "published_at"},
            {"tag": "syrie", "sort": "-updated_at"},  # by updated_at, never walked from the link
            {"author": "jeanne-martin", "sort": "updated_at"},
        ):
            expected = newest_first if params.get("sort", "-").startswith("-") else newest_first[::-1]
            assert pages(**params) == [expected[0:2], expected[2:4], expected[4:]]
        assert client.get("/v1/articles", params={"tag": "nowhere"}).json()["data"] == []
