"""The response cache: public GETs answered from memory, and purged exactly by writes."""

import httpx

from tests.support.editorial import create, desk, patch, publish
from tests.support.factories import bearer, make_article, make_key, make_person
from tests.support.processes import gazette_process


def _warm(client, path: str, **params) -> None:
    client.get(path, params=params)
    assert client.get(path, params=params).headers["gazette-cache"] == "HIT"


def test_a_second_get_is_answered_from_memory(client, session):
    article = make_article(session)

    first = client.get(f"/v1/articles/{article.id}")
    second = client.get(f"/v1/articles/{article.id}")

    assert (first.headers["gazette-cache"], second.headers["gazette-cache"]) == ("MISS", "HIT")
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]


def test_the_order_of_query_parameters_does_not_matter(client, session):
    make_article(session)

    client.get("/v1/articles?limit=5&fields=id,title")
    response = client.get("/v1/articles?fields=id,title&limit=5")

    assert response.headers["gazette-cache"] == "HIT"


def test_a_write_purges_the_article_and_the_lists_but_not_another_article(client, session):
    headers = desk(session)
    changed = create(client, headers, title="Avant", status="published")
    other = make_article(session)
    for path in (f"/v1/articles/{changed['id']}", f"/v1/articles/{other.id}", "/v1/articles", "/v1/quotes"):
        _warm(client, path)

    assert patch(client, headers, changed, {"title": "Après"}).status_code == 200

    article = client.get(f"/v1/articles/{changed['id']}")
    listed = client.get("/v1/articles")
    assert article.headers["gazette-cache"] == "MISS" and article.json()["title"] == "Après"
    assert listed.headers["gazette-cache"] == "MISS" and "Après" in [a["title"] for a in listed.json()["data"]]
    assert client.get(f"/v1/articles/{other.id}").headers["gazette-cache"] == "HIT"


def test_a_write_to_a_draft_leaves_the_lists_alone(client, session):
    headers = desk(session)
    draft = create(client, headers, title="Brouillon")
    make_article(session)
    _warm(client, "/v1/articles")

    assert patch(client, headers, draft, {"title": "Toujours brouillon"}).status_code == 200

    assert client.get("/v1/articles").headers["gazette-cache"] == "HIT"


def test_a_cached_404_goes_when_the_article_is_published(client, session):
    headers = desk(session)
    draft = create(client, headers, title="Bientôt")
    _warm(client, f"/v1/articles/{draft['id']}")
    _warm(client, "/v1/articles/slug/bientot")

    assert publish(client, headers, draft["id"]).status_code == 200

    assert client.get(f"/v1/articles/{draft['id']}").status_code == 200
    assert client.get("/v1/articles/slug/bientot").status_code == 200


def test_renaming_a_person_purges_the_articles_that_quote_them(client, session):
    person = make_person(session, "john-kerry", name="John Kerry")
    article = make_article(session, quotes=[{"text": "Nous parlons.", "speaker": "john-kerry"}])
    _warm(client, f"/v1/articles/{article.id}")
    writer = bearer(make_key(session, "content:write"))

    response = client.patch(
        "/v1/people/john-kerry", json={"name": "John F. Kerry"}, headers={**writer, "If-Match": f'"{person.version}"'}
    )

    assert response.status_code == 200, response.text
    quotes = client.get(f"/v1/articles/{article.id}").json()["quotes"]
    assert quotes[0]["speaker"]["name"] == "John F. Kerry"


def test_the_site_wide_comments_switch_purges_every_article(client, session):
    article = make_article(session)
    _warm(client, f"/v1/articles/{article.id}")
    admin = bearer(make_key(session, "admin"))

    response = client.put("/v1/settings/comments", json={"enabled": False, "reason": "Débordements."}, headers=admin)

    assert response.status_code == 200, response.text
    assert client.get(f"/v1/articles/{article.id}").json()["comments"]["scope"] == "site"


def test_a_preview_token_is_never_answered_from_memory(client, session):
    headers = desk(session)
    draft = create(client, headers, title="Secret")
    token = client.post(f"/v1/articles/{draft['id']}/preview-token", headers=headers).json()["token"]

    first = client.get(f"/v1/articles/{draft['id']}", params={"preview": token})
    second = client.get(f"/v1/articles/{draft['id']}", params={"preview": token})

    assert first.status_code == second.status_code == 200
    assert "gazette-cache" not in second.headers and second.headers["cache-control"] == "private, no-store"


def test_metrics_count_requests_by_route_template_and_cache_hits(client, session):
    article = make_article(session)
    _warm(client, f"/v1/articles/{article.id}")

    text = client.get("/metrics").text

    assert 'gazette_http_requests_total{method="GET",route="/v1/articles/{article_id}",status="200"}' in text
    assert 'gazette_response_cache_hits_total{route="/v1/articles/{article_id}"}' in text
    assert "gazette_response_cache_purges_total" in text and "gazette_http_request_duration_seconds_bucket" in text


def _requests_counted(client, route: str, status: int = 200) -> float:
    line = f'gazette_http_requests_total{{method="GET",route="{route}",status="{status}"}} '
    found = [row for row in client.get("/metrics").text.splitlines() if row.startswith(line)]
    return float(found[0].removeprefix(line)) if found else 0.0


def test_hits_are_counted_in_the_request_metrics_like_any_answer(client, session):
    article = make_article(session)
    _warm(client, f"/v1/articles/{article.id}")
    etag = client.get(f"/v1/articles/{article.id}").headers["etag"]
    before = (
        _requests_counted(client, "/v1/articles/{article_id}"),
        _requests_counted(client, "/v1/articles/{article_id}", 304),
    )

    for _ in range(3):
        assert client.get(f"/v1/articles/{article.id}").headers["gazette-cache"] == "HIT"
    assert client.get(f"/v1/articles/{article.id}", headers={"If-None-Match": etag}).status_code == 304

    after = (
        _requests_counted(client, "/v1/articles/{article_id}"),
        _requests_counted(client, "/v1/articles/{article_id}", 304),
    )
    assert (after[0] - before[0], after[1] - before[1]) == (3, 1)


def test_a_hit_asked_for_by_a_browser_on_another_origin_carries_cors_headers(database_url, session):
    article = make_article(session)
    with (
        gazette_process(database_url, GAZETTE_CORS_ORIGINS='["https://front.example.org"]') as url,
        httpx.Client(base_url=url, timeout=10) as front,
    ):
        path = f"/v1/articles/{article.id}"
        front.get(path)
        plain = front.get(path)
        browser = front.get(path, headers={"Origin": "https://front.example.org"})

    assert plain.headers["gazette-cache"] == "HIT" and "access-control-allow-origin" not in plain.headers
    assert browser.status_code == 200
    assert browser.headers["access-control-allow-origin"] == "https://front.example.org"
    assert "Surrogate-Key" in browser.headers["access-control-expose-headers"]
