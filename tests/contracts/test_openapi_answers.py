"""Answers the server gives, checked against the schema the OpenAPI document declares for them.

Schemathesis (test_schemathesis.py) sends what it generates; this sends what it may never
happen upon: an article with every kind of body block, quote, attribution and image, the
list with each `include=`, a search with highlights, drafts and deleted articles read with a
key. Each answer must match the schema of its operation, status and media type.
"""

from functools import lru_cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.support.factories import (
    bearer,
    make_article,
    make_author,
    make_category,
    make_key,
    make_person,
    make_source,
    make_tag,
)

DOCUMENT = "urn:gazette:openapi"


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    from app.main import create_app

    return create_app().openapi()


def _schema(path: str, method: str, status: int, media_type: str) -> dict[str, Any]:
    responses = _document()["paths"][path][method]["responses"]
    response = responses.get(str(status)) or responses["default"]
    return response["content"][media_type]["schema"]


def check(response, path: str, method: str = "get") -> Any:
    """The response's JSON body, once it matches its schema in the document."""
    media_type = response.headers["content-type"].split(";")[0].strip()
    body = response.json()
    valid(body, _schema(path, method, response.status_code, media_type), f"{method.upper()} {path}")
    return body


def valid(body: Any, schema: dict[str, Any], what: str) -> None:
    """`body` matches `schema`, whose references point into the document."""
    registry = Registry().with_resource(DOCUMENT, Resource.from_contents(_document(), DRAFT202012))
    errors = sorted(Draft202012Validator(_rebased(schema), registry=registry).iter_errors(body), key=str)
    assert not errors, f"{what}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def _rebased(node: Any) -> Any:
    """`node` with its references into the document (#/components/…) made absolute."""
    if isinstance(node, dict):
        return {k: (DOCUMENT + v if k == "$ref" and v.startswith("#") else _rebased(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebased(item) for item in node]
    return node


@pytest.fixture
def rich(session):
    """A published article with every kind of block, a quote, attributions and a credited image."""
    make_category(session, "monde", name="Monde")
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "jeanne-martin", name="Jeanne Martin")
    make_source(session, "le-figaro", name="Le Figaro")
    make_source(session, "reuters", name="Reuters", kind="photo_agency")
    make_person(session, "john-kerry", name="John Kerry")
    return make_article(
        session,
        slug="moscou-et-washington",
        title="Moscou et Washington engagent des discussions militaires",
        kicker="Un pas en avant",
        standfirst="Selon John Kerry, un terrain d'entente.",
        category="monde",
        tags=["syrie"],
        authors=["jeanne-martin"],
        image={"url": "https://images.example.org/a.jpg", "caption": "Le ministre", "credit_source": "reuters"},
        attributions=[{"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro", "url": "https://x.fr/a"}],
        quotes=[{"text": "Un terrain d'entente.", "speaker": "john-kerry", "speaker_role": "secrétaire d'État"}],
        body=[
            {"type": "paragraph", "text": "Les discussions militaires ont commencé."},
            {"type": "heading", "text": "Un terrain d'entente", "level": 3},
            {"type": "quote", "quote": 0},
            {"type": "list", "items": ["un", "deux"], "ordered": True},
            {"type": "image", "url": "https://images.example.org/b.jpg", "alt": "Une carte"},
            {"type": "image", "url": "https://images.example.org/c.jpg"},
            {"type": "embed", "url": "https://video.example.org/v/1", "provider": "video"},
            {"type": "html", "html": "<p>Un <b>encadré</b></p>"},
        ],
    )


def test_an_article_in_every_shape_matches_its_schema(client, session, rich):
    one = check(client.get(f"/v1/articles/{rich.id}"), "/v1/articles/{article_id}")
    assert {b["type"] for b in one["body"]} == {"paragraph", "heading", "quote", "list", "image", "embed", "html"}
    check(client.get("/v1/articles/slug/moscou-et-washington"), "/v1/articles/slug/{slug}")
    for shape, component in (("ninjs", "Ninjs"), ("jsonld", "NewsArticle")):
        answer = check(client.get(f"/v1/articles/{rich.id}", params={"format": shape}), "/v1/articles/{article_id}")
        valid(answer, {"$ref": f"#/components/schemas/{component}"}, component)
        for other in {"ArticleRead", "Ninjs", "NewsArticle"} - {component}:  # a typed client tells them apart
            with pytest.raises(AssertionError):
                valid(answer, {"$ref": f"#/components/schemas/{other}"}, other)
    for params in ({}, {"include": "body,quotes,attributions", "count": "true"}, {"q": "militaires", "highlight": 1}):
        listed = check(client.get("/v1/articles", params=params), "/v1/articles")
        assert listed["data"], params


def test_what_a_key_sees_matches_the_schema(client, session, rich):
    reader = make_key(session, "content:read")
    make_article(session, status="draft", title="Brouillon")
    deleted = make_article(session, title="Effacé")
    admin = make_key(session, "admin", name="admin")
    assert client.delete(f"/v1/articles/{deleted.id}", headers={**bearer(admin), "If-Match": '"1"'}).status_code == 204
    for status in ("all", "deleted", "draft"):
        listed = check(client.get("/v1/articles", params={"status": status}, headers=bearer(reader)), "/v1/articles")
        assert listed["data"], status
    check(client.get(f"/v1/articles/{deleted.id}", headers=bearer(reader)), "/v1/articles/{article_id}")


def test_the_json_feed_matches_its_schema(client, session, rich):
    make_article(session, title="Sans rien", body=[])
    feed = check(client.get("/feeds/feed.json"), "/feeds/feed.json")
    assert len(feed["items"]) == 2
    check(client.get("/feeds/feed.json", params={"category": "monde"}), "/feeds/feed.json")


def test_categories_quotes_and_the_directory_match_their_schemas(client, session, rich):
    writer = bearer(make_key(session, "content:write", name="writer"))
    child = client.post("/v1/categories", json={"name": "France", "parent": "monde"}, headers=writer)
    check(child, "/v1/categories", "post")
    for tree in ("false", "true"):
        listed = check(client.get("/v1/categories", params={"tree": tree}), "/v1/categories")
        assert any(c.get("children") for c in listed["data"]) == (tree == "true")
    check(client.get("/v1/categories/france"), "/v1/categories/{slug}")
    renamed = client.patch("/v1/categories/france", json={"slug": "hexagone"}, headers={**writer, "If-Match": '"1"'})
    check(renamed, "/v1/categories/{slug}", "patch")
    assert client.get("/v1/categories/france", follow_redirects=False).status_code == 301

    quotes = check(client.get("/v1/quotes", params={"count": "true"}), "/v1/quotes")
    check(client.get(f"/v1/quotes/{quotes['data'][0]['id']}"), "/v1/quotes/{quote_id}")
    alone = client.post("/v1/quotes", json={"text": "Seul.", "speaker": {"name": "Maria Zakharova"}}, headers=writer)
    check(alone, "/v1/quotes", "post")
    patched = client.patch(
        f"/v1/quotes/{alone.json()['id']}", json={"said_at": "2015-09-18"}, headers=writer | {"If-Match": '"1"'}
    )
    check(patched, "/v1/quotes/{quote_id}", "patch")

    for kind, body in (
        ("people", {"name": "Peter Cook", "current_role": "porte-parole"}),
        ("sources", {"name": "AFP", "kind": "news_agency", "homepage": "https://www.afp.com/"}),
        ("tags", {"name": "Russie"}),
        ("authors", {"name": "Paul Durand", "bio": "Reporter"}),
    ):
        made = check(client.post(f"/v1/{kind}", json=body, headers=writer), f"/v1/{kind}", "post")
        check(client.get(f"/v1/{kind}", params={"count": "true", "limit": 1}), f"/v1/{kind}")
        check(client.get(f"/v1/{kind}/{made['slug']}"), f"/v1/{kind}/{{slug}}")
        changed = client.patch(
            f"/v1/{kind}/{made['slug']}", json={"name": "Autre"}, headers=writer | {"If-Match": '"1"'}
        )
        check(changed, f"/v1/{kind}/{{slug}}", "patch")


def test_the_change_feed_revisions_previews_and_settings_match_their_schemas(client, session, rich):
    admin = bearer(make_key(session, "admin", name="admin"))
    feed = check(client.get("/v1/changes", params={"limit": 3}), "/v1/changes")
    assert feed["meta"]["has_more"]
    check(client.get("/v1/changes", params={"since": feed["meta"]["next_cursor"]}), "/v1/changes")
    assert (
        client.patch(
            f"/v1/articles/{rich.id}",
            json={"kicker": None},
            headers=admin | {"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
        ).status_code
        == 200
    )
    check(client.get(f"/v1/articles/{rich.id}/revisions", headers=admin), "/v1/articles/{article_id}/revisions")
    for number in (1, 2):
        check(
            client.get(f"/v1/articles/{rich.id}/revisions/{number}", headers=admin),
            "/v1/articles/{article_id}/revisions/{number}",
        )
    check(
        client.post(f"/v1/articles/{rich.id}/preview-token", headers=admin),
        "/v1/articles/{article_id}/preview-token",
        "post",
    )
    check(client.get("/v1/settings/comments", headers=admin), "/v1/settings/comments")
    put = client.put("/v1/settings/comments", json={"enabled": False, "reason": "Débordements"}, headers=admin)
    check(put, "/v1/settings/comments", "put")
    check(client.get(f"/v1/articles/{rich.id}"), "/v1/articles/{article_id}")
    check(client.get("/healthz"), "/healthz")
    check(client.get("/readyz"), "/readyz")


def test_keys_webhooks_and_the_import_report_match_their_schemas(client, session, rich):
    admin = bearer(make_key(session, "admin", name="admin"))
    created = check(
        client.post("/v1/keys", json={"name": "cms", "scopes": ["content:write"]}, headers=admin), "/v1/keys", "post"
    )
    assert client.delete(f"/v1/keys/{created['id']}", headers=admin).status_code == 204
    check(client.get("/v1/keys", headers=admin), "/v1/keys")

    hook = check(
        client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=admin),
        "/v1/webhooks",
        "post",
    )
    make_tag(session, "russie", name="Russie")  # one event, one delivery waiting in the outbox
    check(client.get("/v1/webhooks", headers=admin), "/v1/webhooks")
    check(client.get(f"/v1/webhooks/{hook['id']}", headers=admin), "/v1/webhooks/{webhook_id}")
    paused = client.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": False}, headers=admin)
    check(paused, "/v1/webhooks/{webhook_id}", "patch")
    deliveries = check(
        client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin), "/v1/webhooks/{webhook_id}/deliveries"
    )
    retried = client.post(f"/v1/webhooks/{hook['id']}/deliveries/{deliveries['data'][0]['id']}/retry", headers=admin)
    check(retried, "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", "post")

    export = client.get("/v1/export")
    report = client.post("/v1/import", content=export.content, headers=admin | {"Content-Type": "application/x-ndjson"})
    assert check(report, "/v1/import", "post")["unchanged"] > 0
    bad = client.post(
        "/v1/import", content=b'{"type": "tag"}\n', headers=admin | {"Content-Type": "application/x-ndjson"}
    )
    assert check(bad, "/v1/import", "post")["errors"]


def test_problems_match_the_problem_schema(client, session, rich):
    writer = bearer(make_key(session, "content:write", name="writer"))
    cases = [
        (client.get("/v1/articles/nope"), "/v1/articles/{article_id}", "get"),
        (client.get("/v1/articles", params={"limit": 0}), "/v1/articles", "get"),
        (client.get("/v1/articles", headers=bearer("gz_nope")), "/v1/articles", "get"),
        (client.post("/v1/tags", json={}, headers=writer), "/v1/tags", "post"),
        (client.post("/v1/tags", json={"name": "Syrie", "slug": "syrie"}, headers=writer), "/v1/tags", "post"),
        (client.patch("/v1/tags/syrie", json={"name": "S"}, headers=writer), "/v1/tags/{slug}", "patch"),
        (
            client.patch("/v1/tags/syrie", json={"name": "S"}, headers=writer | {"If-Match": '"9"'}),
            "/v1/tags/{slug}",
            "patch",
        ),
        (client.get("/v1/keys", headers=writer), "/v1/keys", "get"),
        (
            client.post("/v1/import", content=b"{}", headers=writer | {"Content-Type": "application/json"}),
            "/v1/import",
            "post",
        ),
    ]
    assert sorted(response.status_code for response, _, _ in cases) == [400, 401, 403, 404, 409, 412, 415, 422, 428]
    for response, path, method in cases:
        assert response.headers["content-type"] == "application/problem+json"
        check(response, path, method)


def test_correction_notices_and_the_shapes_that_carry_them_match_their_schemas(client, session, rich):
    writer = bearer(make_key(session, "content:write", name="writer"))
    path = "/v1/articles/{article_id}/corrections"
    added = client.post(
        f"/v1/articles/{rich.id}/corrections",
        json={"kind": "clarification", "text": "Il s'agit de discussions militaires."},
        headers=writer | {"If-Match": f'"{rich.version}"'},
    )
    assert added.status_code == 201
    notice = check(added, path, "post")
    check(client.get(f"/v1/articles/{rich.id}/corrections"), path)
    check(client.get(f"/v1/articles/{rich.id}/corrections/{notice['id']}"), path + "/{correction_id}")
    article = check(client.get(f"/v1/articles/{rich.id}"), "/v1/articles/{article_id}")
    assert article["corrections"] == [notice]
    ld = client.get(f"/v1/articles/{rich.id}", params={"format": "jsonld"})
    assert check(ld, "/v1/articles/{article_id}")["correction"][0]["@type"] == "CorrectionComment"
    listed = check(client.get("/v1/articles", params={"include": "corrections"}), "/v1/articles")
    assert listed["data"][0]["corrections"] == [notice]
    for bad in ({"kind": "erratum", "text": "x"}, {"kind": "update"}):
        refused = client.post(f"/v1/articles/{rich.id}/corrections", json=bad, headers=writer | {"If-Match": '"2"'})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
