"""What every answer carries whoever made it (the routes, the response cache, the fast path, an
error handler), and how the API answers a wrong method or a wrong kind of Authorization."""

import httpx
import pytest

from tests.support.editorial import create, desk, patch
from tests.support.factories import make_article
from tests.support.processes import gazette_process


def test_every_kind_of_answer_says_nosniff(client, session):
    article = make_article(session)
    headers = desk(session)
    answers = {
        "miss": client.get("/v1/articles"),
        "hit": client.get("/v1/articles"),
        "fast path": client.get(f"/v1/articles/{article.id}"),
        "404": client.get("/v1/articles/nope"),
        "405": client.put("/v1/articles"),
        "422": client.post("/v1/articles", json={"title": ""}, headers=headers),
        "401": client.post("/v1/articles", json={"title": "x"}),
        "private": client.get("/v1/articles", headers=headers),
        "health": client.get("/healthz"),
        "feed": client.get("/feeds/rss.xml"),
        "head": client.head("/v1/articles"),
    }
    etag = answers["fast path"].headers["etag"]
    answers["304"] = client.get(f"/v1/articles/{article.id}", headers={"If-None-Match": etag})

    assert answers["hit"].headers["gazette-cache"] == "HIT" and answers["304"].status_code == 304
    missing = [name for name, answer in answers.items() if answer.headers.get("x-content-type-options") != "nosniff"]
    assert missing == []


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v1/articles", "GET, HEAD, POST"),
        ("DELETE", "/v1/articles", "GET, HEAD, POST"),
        ("POST", "/v1/articles/01abc", "GET, HEAD, PATCH, DELETE"),
        ("GET", "/v1/articles/01abc/publish", "POST"),
        ("PUT", "/v1/tags", "GET, HEAD, POST"),
        ("POST", "/healthz", "GET, HEAD"),
    ],
)
def test_a_405_names_every_method_the_path_takes(client, method, path, allow):
    response = client.request(method, path)

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == allow


def test_every_method_an_allow_header_names_is_answered(client, session):
    """Allow never names a method that would get a 405 itself: HEAD is answered wherever GET is."""
    headers = desk(session, "admin")
    for path in ("/healthz", "/v1/keys", "/v1/articles"):
        allow = client.put(path, headers=headers).headers["allow"]
        assert "HEAD" in allow
        head = client.head(path, headers=headers)
        get = client.get(path, headers=headers)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b""


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Token abc", "Bearer", "bearer", "gz_secret"])
@pytest.mark.parametrize("path", ["/v1/articles", "/v1/articles/{id}", "/v1/articles/slug/{slug}"])
def test_an_authorization_that_is_not_a_bearer_key_is_401_not_anonymous(client, session, authorization, path):
    article = make_article(session)
    url = path.format(id=article.id, slug=article.slug)
    assert client.get(url).status_code == 200  # anonymous, the article is public

    response = client.get(url, headers={"Authorization": authorization})

    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith('Bearer realm="gazette"')


@pytest.mark.parametrize("title", [" ", "   ", "\t\n", "\u3000"])
def test_a_title_of_only_spaces_is_refused(client, session, title):
    headers = desk(session)

    created = client.post("/v1/articles", json={"title": title}, headers=headers)
    article = create(client, headers)
    patched = patch(client, headers, article, {"title": title})

    for response in (created, patched):
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["title"]


def test_with_cors_a_hit_varies_as_the_miss_does(database_url, session):
    make_article(session)
    origin = {"Origin": "https://front.example.org"}
    with gazette_process(database_url, GAZETTE_CORS_ORIGINS='["https://front.example.org"]') as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            answers = [
                client.get("/v1/articles"),  # miss, without Origin
                client.get("/v1/articles"),  # hit, answered in front of the middleware
                client.get("/v1/articles", headers=origin),  # hit, through CORS
                client.get("/v1/articles/slug/none"),  # a 404, kept too
                client.get("/v1/articles/slug/none", headers=origin),
            ]
            etag = answers[0].headers["etag"]
            answers.append(client.get("/v1/articles", headers={"If-None-Match": etag}))
            answers.append(client.get("/v1/articles", headers={**origin, "If-None-Match": etag}))

    assert [a.headers["gazette-cache"] for a in answers[:3]] == ["MISS", "HIT", "HIT"]
    assert answers[2].headers["access-control-allow-origin"] == "https://front.example.org"
    assert [a.status_code for a in answers[-2:]] == [304, 304]
    varies = {a.headers["vary"] for a in answers}
    assert varies == {"Accept-Encoding, Authorization, Origin"}
