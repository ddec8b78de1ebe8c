"""Changes staged on a published article: a pending version, prepared without going live,
compared with the live one, and published in one write (now, or at a time by the clock)."""

from datetime import timedelta

import pytest

from app.kit import jobs
from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk
from tests.support.factories import bearer, make_category, make_key, make_person

MERGE = "application/merge-patch+json"


@pytest.fixture
def admin(session) -> dict[str, str]:
    return bearer(make_key(session, "admin"))


@pytest.fixture
def hook(client, admin) -> dict:
    return client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=admin).json()


def _events(client, admin, hook) -> list[str]:
    found = client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 100}, headers=admin).json()
    return [d["event_type"] for d in reversed(found["data"])]


def _changes(client, article_id: str) -> list[dict]:
    return [c for c in client.get("/v1/changes", params={"limit": 1000}).json()["data"] if c["id"] == article_id]


def _live(client, headers, **fields) -> dict:
    body = [
        {"type": "paragraph", "text": "Premier paragraphe."},
        {"type": "paragraph", "text": "Deuxième paragraphe."},
        {"type": "paragraph", "text": "Troisième paragraphe."},
    ]
    return create(client, headers, title="Titre en ligne", status="published", body=body, **fields)


def _start(client, headers, article) -> dict:
    response = client.post(f"/v1/articles/{article['id']}/pending", headers=headers)
    assert response.status_code == 201, response.text
    return response.json() | {"etag": response.headers["etag"]}


def _patch(client, headers, article_id: str, changes: dict, etag: str):
    return client.patch(
        f"/v1/articles/{article_id}/pending",
        json=changes,
        headers={**headers, "Content-Type": MERGE, "If-Match": etag},
    )


def test_a_pending_version_starts_as_the_live_one_and_changes_without_going_live(client, session):
    headers = desk(session)
    article = _live(client, headers)

    started = _start(client, headers, article)
    changed = _patch(client, headers, article["id"], {"title": "Titre corrigé"}, started["etag"])

    assert started["based_on_version"] == article["version"] and started["version"] == 1
    assert started["article"]["title"] == "Titre en ligne" and started["stale"] is False
    assert changed.status_code == 200, changed.text
    assert changed.json()["article"]["title"] == "Titre corrigé" and changed.headers["etag"] == '"2"'
    assert client.get(f"/v1/articles/{article['id']}").json()["title"] == "Titre en ligne"
    assert client.get(f"/v1/articles/{article['id']}/pending", headers=headers).json()["article"]["title"] == (
        "Titre corrigé"
    )
    again = client.post(f"/v1/articles/{article['id']}/pending", headers=headers)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"


def test_only_a_published_article_takes_a_pending_version(client, session):
    headers = desk(session)
    draft = create(client, headers)

    response = client.post(f"/v1/articles/{draft['id']}/pending", headers=headers)

    assert response.status_code == 409
    assert client.post("/v1/articles/nope/pending", headers=headers).status_code == 404


def test_a_pending_patch_is_validated_as_an_article_patch_naming_the_field(client, session):
    headers = desk(session)
    article = _live(client, headers)
    started = _start(client, headers, article)
    url = f"/v1/articles/{article['id']}/pending"

    blank = _patch(client, headers, article["id"], {"title": ""}, started["etag"])
    unknown = _patch(client, headers, article["id"], {"category": "inconnue"}, started["etag"])
    lifecycle = _patch(client, headers, article["id"], {"status": "draft"}, started["etag"])
    stale = _patch(client, headers, article["id"], {"title": "X"}, '"9"')
    missing = client.patch(url, json={"title": "X"}, headers={**headers, "Content-Type": MERGE})
    wrong_type = client.patch(url, content=b"title=X", headers={**headers, "Content-Type": "text/plain"})

    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "title"
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "category"
    assert lifecycle.status_code == 422 and lifecycle.json()["errors"][0]["field"] == "status"
    assert (stale.status_code, missing.status_code, wrong_type.status_code) == (412, 428, 415)
    assert client.get(url, headers=headers).json()["version"] == 1  # nothing was written


def test_the_diff_names_each_changed_field_and_each_block_removed_or_changed(client, session):
    headers = desk(session)
    article = _live(client, headers, kicker="Avant")
    started = _start(client, headers, article)
    body = [
        {"type": "paragraph", "text": "Premier paragraphe."},
        {"type": "paragraph", "text": "Deuxième paragraphe, corrigé."},
    ]
    _patch(client, headers, article["id"], {"kicker": "Après", "body": body}, started["etag"])

    diff = client.get(f"/v1/articles/{article['id']}/pending/diff", headers=headers)

    assert diff.status_code == 200, diff.text
    assert [(f["field"], f["live"], f["pending"]) for f in diff.json()["fields"]] == [("kicker", "Avant", "Après")]
    blocks = diff.json()["body"]
    assert [(b["change"], b["live_position"], b["pending_position"]) for b in blocks] == [
        ("changed", 1, 1),
        ("removed", 2, None),
    ]
    assert blocks[0]["live"]["text"] == "Deuxième paragraphe." and blocks[0]["pending"]["text"].endswith("corrigé.")
    assert blocks[1]["live"]["text"] == "Troisième paragraphe." and blocks[1]["pending"] is None


def test_a_block_inserted_in_the_middle_is_one_block_added(client, session):
    headers = desk(session)
    article = _live(client, headers)
    started = _start(client, headers, article)
    body = [dict(b) for b in started["article"]["body"]]
    body.insert(1, {"type": "paragraph", "text": "Inséré."})
    _patch(client, headers, article["id"], {"body": body}, started["etag"])

    diff = client.get(f"/v1/articles/{article['id']}/pending/diff", headers=headers).json()

    assert [(b["change"], b["live_position"], b["pending_position"]) for b in diff["body"]] == [("added", None, 1)]
    assert diff["fields"] == []


def test_publishing_replaces_the_live_version_in_one_write(client, session, admin, hook):
    headers = desk(session)
    article = _live(client, headers)
    started = _start(client, headers, article)
    _patch(client, headers, article["id"], {"title": "Titre corrigé"}, started["etag"])
    before = _events(client, admin, hook)
    changes_before = len(_changes(client, article["id"]))
    revisions_before = len(client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"])

    published = client.post(f"/v1/articles/{article['id']}/pending/publish", headers=headers)

    assert published.status_code == 200, published.text
    assert published.json()["title"] == "Titre corrigé" and published.json()["version"] == article["version"] + 1
    assert client.get(f"/v1/articles/{article['id']}").json()["title"] == "Titre corrigé"
    assert _events(client, admin, hook)[len(before) :] == ["article.updated"]
    new_changes = _changes(client, article["id"])[changes_before:]
    assert [(c["op"], c["version"]) for c in new_changes] == [("upsert", article["version"] + 1)]
    revisions = client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"]
    assert len(revisions) == revisions_before + 1 and revisions[0]["title"] == "Titre corrigé"
    assert client.get(f"/v1/articles/{article['id']}/pending", headers=headers).status_code == 404


def test_publishing_over_a_live_version_that_moved_on_is_412_naming_both(client, session):
    headers = desk(session)
    article = _live(client, headers)
    _start(client, headers, article)
    edited = client.patch(
        f"/v1/articles/{article['id']}",
        json={"kicker": "Changé en direct"},
        headers={**headers, "Content-Type": MERGE, "If-Match": f'"{article["version"]}"'},
    )
    assert edited.status_code == 200

    refused = client.post(f"/v1/articles/{article['id']}/pending/publish", headers=headers)

    assert refused.status_code == 412 and refused.headers["content-type"] == "application/problem+json"
    detail = refused.json()["detail"]
    assert str(article["version"]) in detail and str(edited.json()["version"]) in detail
    assert client.get(f"/v1/articles/{article['id']}").json()["kicker"] == "Changé en direct"
    assert client.get(f"/v1/articles/{article['id']}/pending", headers=headers).json()["stale"] is True


def test_publishing_needs_content_publish(client, session):
    headers = desk(session)
    writer = desk(session, "content:read", "content:write", name="writer")
    article = _live(client, headers)
    _start(client, headers, article)

    assert client.post(f"/v1/articles/{article['id']}/pending/publish", headers=writer).status_code == 403
    assert client.post(f"/v1/articles/{article['id']}/pending/publish").status_code == 401


def test_a_scheduled_publish_is_applied_once_by_the_clock_even_after_a_downtime(client, session, admin, hook):
    headers = desk(session)
    article = _live(client, headers)
    started = _start(client, headers, article)
    _patch(client, headers, article["id"], {"title": "Titre programmé"}, started["etag"])
    at = iso(utcnow() + timedelta(minutes=10))

    scheduled = client.post(f"/v1/articles/{article['id']}/pending/publish", json={"at": at}, headers=headers)
    jobs.run_once()
    still = client.get(f"/v1/articles/{article['id']}").json()["title"]
    before = _events(client, admin, hook)
    clock.advance(timedelta(minutes=30))  # no round runs meanwhile: the server is down
    jobs.run_once()
    jobs.run_once()  # a second round finds nothing left to do

    assert scheduled.status_code == 202 and scheduled.json()["publish_at"] == at
    assert still == "Titre en ligne"
    assert client.get(f"/v1/articles/{article['id']}").json()["title"] == "Titre programmé"
    assert _events(client, admin, hook)[len(before) :] == ["article.updated"]
    last = _changes(client, article["id"])[-1]
    assert last["op"] == "upsert" and last["due_at"] == at
    revisions = client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"]
    assert revisions[0]["key_name"] == "scheduler" and revisions[0]["title"] == "Titre programmé"


def test_a_scheduled_publish_gone_stale_is_not_applied(client, session):
    headers = desk(session)
    article = _live(client, headers)
    started = _start(client, headers, article)
    _patch(client, headers, article["id"], {"title": "Titre programmé"}, started["etag"])
    at = iso(utcnow() + timedelta(minutes=10))
    client.post(f"/v1/articles/{article['id']}/pending/publish", json={"at": at}, headers=headers)
    client.patch(
        f"/v1/articles/{article['id']}",
        json={"kicker": "Changé en direct"},
        headers={**headers, "Content-Type": MERGE, "If-Match": f'"{article["version"]}"'},
    )

    clock.advance(timedelta(minutes=11))
    jobs.run_once()

    assert client.get(f"/v1/articles/{article['id']}").json()["title"] == "Titre en ligne"
    left = client.get(f"/v1/articles/{article['id']}/pending", headers=headers).json()
    assert left["publish_at"] is None and left["stale"] is True


def test_discarding_removes_it_and_leaves_the_live_version(client, session):
    headers = desk(session)
    article = _live(client, headers)
    started = _start(client, headers, article)
    _patch(client, headers, article["id"], {"title": "Jamais publié"}, started["etag"])

    stale = client.delete(f"/v1/articles/{article['id']}/pending", headers={**headers, "If-Match": '"1"'})
    gone = client.delete(f"/v1/articles/{article['id']}/pending", headers=headers)

    assert (stale.status_code, gone.status_code) == (412, 204)
    assert client.get(f"/v1/articles/{article['id']}/pending", headers=headers).status_code == 404
    assert client.get(f"/v1/articles/{article['id']}").json()["title"] == "Titre en ligne"
    assert client.delete(f"/v1/articles/{article['id']}/pending", headers=headers).status_code == 404


def test_a_preview_token_opens_the_pending_version_of_its_article_only(client, session):
    headers = desk(session)
    article, other = _live(client, headers), _live(client, headers)
    started = _start(client, headers, article)
    _start(client, headers, other)
    _patch(client, headers, article["id"], {"title": "Aperçu"}, started["etag"])
    token = client.post(f"/v1/articles/{article['id']}/preview-token", headers=headers).json()["token"]

    opened = client.get(f"/v1/articles/{article['id']}/pending", params={"preview": token})
    diff = client.get(f"/v1/articles/{article['id']}/pending/diff", params={"preview": token})
    elsewhere = client.get(f"/v1/articles/{other['id']}/pending", params={"preview": token})
    anonymous = client.get(f"/v1/articles/{article['id']}/pending")
    forged = client.get(f"/v1/articles/{article['id']}/pending", params={"preview": token[:-2] + "xx"})

    assert opened.status_code == 200 and opened.json()["article"]["title"] == "Aperçu"
    assert opened.headers["cache-control"] == "private, no-store"
    assert diff.status_code == 200 and diff.json()["fields"][0]["pending"] == "Aperçu"
    assert (elsewhere.status_code, anonymous.status_code, forged.status_code) == (404, 401, 401)


def test_quotes_in_a_pending_version_are_kept_by_id_when_published(client, session):
    make_person(session, "john-kerry", name="John Kerry")
    make_category(session, "monde")
    headers = desk(session)
    article = _live(client, headers, quotes=[{"text": "Un terrain d'entente.", "speaker": "john-kerry"}])
    started = _start(client, headers, article)
    quote_id = article["quotes"][0]["id"]
    body = [*started["article"]["body"], {"type": "quote", "quote_id": quote_id}]
    changed = _patch(client, headers, article["id"], {"body": body, "category": "monde"}, started["etag"])
    bad = _patch(
        client, headers, article["id"], {"body": [{"type": "quote", "quote_id": "x"}]}, changed.headers["etag"]
    )

    published = client.post(f"/v1/articles/{article['id']}/pending/publish", headers=headers)

    assert (
        changed.status_code == 200 and bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body[0].quote_id"
    )
    assert published.status_code == 200, published.text
    assert published.json()["quotes"][0]["id"] == quote_id and published.json()["category"]["slug"] == "monde"


def test_publishing_with_a_correction_notice_is_one_write_that_carries_it(client, session):
    headers = desk(session)
    article = _live(client, headers)
    started = _start(client, headers, article)
    _patch(client, headers, article["id"], {"title": "Titre corrigé"}, started["etag"])
    before = len(_changes(client, article["id"]))

    malformed = client.post(
        f"/v1/articles/{article['id']}/pending/publish", json={"correction": {"kind": "erratum"}}, headers=headers
    )
    published = client.post(
        f"/v1/articles/{article['id']}/pending/publish",
        json={"correction": {"kind": "correction", "text": "Une erreur de date a été corrigée."}},
        headers=headers,
    )
    read = client.get(f"/v1/articles/{article['id']}").json()

    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"].startswith("correction")
    assert published.status_code == 200, published.text
    assert read["title"] == "Titre corrigé" and read["version"] == article["version"] + 1
    assert [(c["kind"], c["text"]) for c in read["corrections"]] == [
        ("correction", "Une erreur de date a été corrigée.")
    ]
    assert read["corrections"][0]["created_at"] == read["updated_at"]
    assert len(_changes(client, article["id"])) == before + 1


def test_publish_checks_the_pending_versions_etag_when_sent_and_a_past_time_is_now(client, session):
    headers = desk(session)
    article = _live(client, headers)
    started = _start(client, headers, article)
    changed = _patch(client, headers, article["id"], {"title": "Titre corrigé"}, started["etag"])
    url = f"/v1/articles/{article['id']}/pending/publish"

    stale = client.post(url, headers={**headers, "If-Match": started["etag"]})
    past = client.post(
        url, json={"at": "2020-01-01T00:00:00Z"}, headers={**headers, "If-Match": changed.headers["etag"]}
    )

    assert stale.status_code == 412
    assert past.status_code == 200 and past.json()["title"] == "Titre corrigé"


def test_reading_a_pending_version_needs_content_read(client, session):
    headers = desk(session)
    writer = desk(session, "content:write", name="writer")
    article = _live(client, headers)
    _start(client, headers, article)

    assert client.get(f"/v1/articles/{article['id']}/pending", headers=writer).status_code == 403
    assert client.get(f"/v1/articles/{article['id']}/pending/diff", headers=writer).status_code == 403
    assert client.get(f"/v1/articles/{article['id']}/pending/diff").status_code == 401
