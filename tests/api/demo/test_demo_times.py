"""The demo's times tell one story: every item was created, then published, then (for a few
articles only) updated; every shape of an article (ours, JSON-LD, ninjs) says the same."""

import subprocess
import sys
from datetime import datetime
from typing import Any

import httpx

from tests.support.factories import make_key


def _load_demo() -> None:
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], check=True, capture_output=True)


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _every(client: httpx.Client, path: str, headers: dict[str, str] | None = None, **params: Any) -> list[dict]:
    items, cursor = [], None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, params=query, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["data"]
        cursor = body["meta"].get("next_cursor")
        if not body["meta"]["has_more"]:
            return items


def _in_order(*times: datetime | None) -> bool:
    given = [t for t in times if t is not None]
    return given == sorted(given)


def test_every_demo_article_was_created_then_published_then_maybe_updated(client, session):
    _load_demo()
    key = {"Authorization": f"Bearer {make_key(session, 'content:read')}"}

    articles = _every(client, "/v1/articles", key, status="all")

    assert len(articles) >= 15
    for a in articles:
        created, published, updated = _at(a["created_at"]), _at(a["published_at"]), _at(a["updated_at"])
        assert _in_order(created, published, updated), (a["slug"], created, published, updated)
        assert created < (published or updated), a["slug"]  # written some time before it went out
    public = [a for a in articles if a["status"] == "published"]
    corrected = [a["slug"] for a in public if _at(a["updated_at"]) > _at(a["published_at"])]
    assert 2 <= len(corrected) <= len(public) // 3, corrected
    assert all(a["updated_at"] == a["published_at"] for a in public if a["slug"] not in corrected)
    # Loaded just now, yet none says so: the import kept the times the demo gives.
    assert max(_at(a["updated_at"]) for a in articles).year < 2020

    for a in public:
        ld = client.get(f"/v1/articles/{a['id']}", params={"format": "jsonld"}).json()
        assert _in_order(_at(ld["dateCreated"]), _at(ld["datePublished"]), _at(ld["dateModified"])), ld
        ninjs = client.get(f"/v1/articles/{a['id']}", params={"format": "ninjs"}).json()
        assert _in_order(_at(ninjs["firstCreated"]), _at(ninjs["contentCreated"]), _at(ninjs["versionCreated"]))
    draft = client.get("/v1/articles", params={"status": "draft"}, headers=key).json()["data"]
    assert draft and all(_in_order(_at(d["created_at"]), _at(d["updated_at"])) for d in draft)


def test_every_other_demo_item_was_created_no_later_than_updated(client, database_url):
    _load_demo()

    for path in ("/v1/quotes", "/v1/people", "/v1/sources", "/v1/tags", "/v1/authors", "/v1/categories"):
        items = _every(client, path)
        assert items, path
        for item in items:
            assert _in_order(_at(item.get("created_at")), _at(item.get("updated_at"))), (path, item)
