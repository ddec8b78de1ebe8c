"""Bad input: oversized bodies are 413, malformed JSON 400, wrong types 422, all problem+json."""

import orjson

from app.settings import get_settings
from tests.support.editorial import create, desk
from tests.support.factories import bearer, make_key


def _big_article() -> bytes:
    size = get_settings().max_body_bytes
    blocks = [{"type": "paragraph", "text": "x" * 10_000}] * (size // 10_000 + 10)
    return orjson.dumps({"title": "Trop long", "body": blocks})


def test_a_body_over_the_limit_is_413_from_its_content_length(client, session):
    headers = {**desk(session), "Content-Type": "application/json"}

    response = client.post("/v1/articles", content=_big_article(), headers=headers)

    assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_a_streamed_body_over_the_limit_is_413_without_content_length(client, session):
    headers = {**desk(session), "Content-Type": "application/json"}
    data = _big_article()

    def chunks():
        for start in range(0, len(data), 64_000):
            yield data[start : start + 64_000]

    response = client.post("/v1/articles", content=chunks(), headers=headers)

    assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/articles", params={"status": "all"}, headers=headers).json()["data"] == []


def test_a_body_under_the_limit_streamed_in_chunks_goes_through(client, session):
    headers = {**desk(session), "Content-Type": "application/json"}
    data = orjson.dumps({"title": "Assez court", "body": [{"type": "paragraph", "text": "x" * 15_000}] * 3})

    response = client.post("/v1/articles", content=iter([data[:1000], data[1000:]]), headers=headers)

    assert response.status_code == 201


def test_a_patch_over_the_limit_is_413_and_changes_nothing(client, session):
    headers = desk(session)
    article = create(client, headers, title="Intact")

    response = client.patch(
        f"/v1/articles/{article['id']}",
        content=_big_article(),
        headers={**headers, "If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )

    assert response.status_code == 413
    assert client.get(f"/v1/articles/{article['id']}", headers=headers).json()["version"] == 1


def _big_import(articles: int = 10) -> bytes:
    """NDJSON of published articles, 300 KB each (15 paragraphs of 20,000 characters)."""
    text = ("Le conseil municipal a voté le budget après six heures de débat. " * 400)[:20_000]
    return b"".join(
        orjson.dumps(
            {
                "type": "article",
                "data": {
                    "external_id": f"long-{n}",
                    "title": f"Compte rendu {n}",
                    "status": "published",
                    "body": [{"type": "paragraph", "text": text}] * 15,
                },
            }
        )
        + b"\n"
        for n in range(articles)
    )


def test_an_import_over_the_default_body_limit_is_imported_and_other_routes_still_refuse_it(client, session):
    """POST /v1/import takes up to 200 MB (its own limit); every other route keeps
    GAZETTE_MAX_BODY_BYTES."""
    headers = {**bearer(make_key(session, "content:write", "content:publish")), "Content-Type": "application/x-ndjson"}
    body = _big_import()
    assert len(body) > get_settings().max_body_bytes + 500_000

    declared = client.post("/v1/import", content=body, headers=headers)
    streamed = client.post(
        "/v1/import", content=iter([body[i : i + 64_000] for i in range(0, len(body), 64_000)]), headers=headers
    )
    article = client.post(
        "/v1/articles", content=_big_article(), headers={**headers, "Content-Type": "application/json"}
    )

    assert declared.status_code == 200, declared.text
    assert declared.json() == {"lines": 10, "created": 10, "updated": 0, "unchanged": 0, "errors": []}
    assert streamed.json() == {"lines": 10, "created": 0, "updated": 0, "unchanged": 10, "errors": []}
    listed = client.get("/v1/articles", params={"limit": 20}).json()["data"]
    assert sorted(a["title"] for a in listed) == [f"Compte rendu {n}" for n in range(10)]
    assert len(client.get(f"/v1/articles/{listed[0]['id']}").json()["body"]) == 15
    assert article.status_code == 413 and article.headers["content-type"] == "application/problem+json"
    assert str(get_settings().max_body_bytes) in article.json()["detail"]


def test_malformed_json_in_a_patch_is_400(client, session):
    headers = desk(session)
    article = create(client, headers)

    response = client.patch(
        f"/v1/articles/{article['id']}",
        content=b'{"title": "x",}',
        headers={**headers, "If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )

    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"


def test_wrong_types_in_a_patch_are_422_naming_the_field(client, session):
    headers = desk(session)
    article = create(client, headers)

    response = client.patch(
        f"/v1/articles/{article['id']}",
        json={"tags": "not-a-list", "comments": {"enabled": "peut-être"}},
        headers={**headers, "If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"tags", "comments.enabled"}


def test_text_with_a_nul_character_is_422_naming_the_field(client, session):
    headers = desk(session)

    response = client.post(
        "/v1/articles",
        headers=headers,
        json={
            "title": "Titre\u0000",
            "body": [{"type": "list", "items": ["un", "deux\u0000"]}],
            "quotes": [{"text": "Mot", "speaker": {"name": "Nom\u0000"}}],
        },
    )

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"title", "body[0].items[1]", "quotes[0].speaker.name"}


def test_a_nul_in_a_path_or_query_is_400(client, session):
    headers = desk(session)

    for url in (
        "/v1/articles/a%00b",
        "/v1/articles/slug/a%00b",
        "/v1/articles/a%00b/revisions",
        "/v1/articles?category=a%00b",
        "/v1/quotes/a%00b",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json", url


def test_a_nul_anywhere_in_a_json_body_is_422_naming_the_field_and_writes_nothing(client, session):
    headers = desk(session, "content:write", "content:read", "admin")
    writes = [
        ("post", "/v1/categories", {"slug": "monde", "name": "Monde", "description": "a\u0000b"}, "description"),
        ("post", "/v1/people", {"slug": "ana", "name": "Ana\u0000"}, "name"),
        (
            "post",
            "/v1/sources",
            {"slug": "afp", "name": "AFP", "kind": "agency", "url": "https://a.example/\u0000"},
            "url",
        ),
        ("post", "/v1/webhooks", {"url": "https://hooks.example/\u0000", "events": ["article.published"]}, "url"),
        ("post", "/v1/keys", {"name": "bot\u0000", "scopes": ["content:read"]}, "name"),
    ]
    for method, url, body, field in writes:
        response = client.request(method, url, json=body, headers=headers)

        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field], url
    assert client.get("/v1/categories").json()["data"] == []
    assert client.get("/v1/people").json()["data"] == []


def test_an_escaped_backslash_before_u0000_is_plain_text(client, session):
    headers = desk(session)

    article = create(client, headers, title="Le code \\u0000 expliqué")

    assert article["title"] == "Le code \\u0000 expliqué"


def test_values_longer_than_their_columns_are_422_naming_the_field(client, session):
    headers = desk(session, "content:write", "content:read", "admin")
    long_host = ".".join(["a" * 63] * 33)  # 2,111 characters: a valid host, too long to store
    writes = [
        ("/v1/quotes", {"text": "Oui.", "speaker": {"name": "Ana"}, "language": "fr-abcdefgh"}, "language"),
        ("/v1/webhooks", {"url": f"https://{long_host}", "events": ["*"]}, "url"),
    ]
    for url, body, field in writes:
        response = client.post(url, json=body, headers=headers)

        assert response.status_code == 422, (url, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], url
