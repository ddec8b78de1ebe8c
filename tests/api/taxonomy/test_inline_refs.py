"""People and sources an article creates inline are public when the article is: before, they
are on no public path, in no change and no webhook; a keyed reader sees them all along."""

import time
from datetime import timedelta

import pytest

from app.articles import schedule
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, publish
from tests.support.factories import bearer, make_key

INLINE = {
    "title": "Entretien",
    "quotes": [
        {"text": "Rien à déclarer.", "speaker": {"name": "Mona Vidal"}, "source": {"name": "Radio Nord"}},
    ],
    "attributions": [{"source": {"name": "Le Quotidien"}, "role": "read_on"}],
    "image": {"url": "https://img.example.org/a.jpg", "credit_source": {"name": "Photo Sud"}},
}
PEOPLE, SOURCES = {"mona-vidal"}, {"radio-nord", "le-quotidien", "photo-sud"}


@pytest.fixture
def desk_key(session) -> dict[str, str]:
    return desk(session)


@pytest.fixture
def hook(client, session) -> tuple[dict, dict[str, str]]:
    admin = bearer(make_key(session, "admin", name="ops"))
    made = client.post("/v1/webhooks", json={"url": "https://example.org/hooks", "events": ["*"]}, headers=admin)
    assert made.status_code == 201, made.text
    return made.json(), admin


def _public(client, headers=None) -> dict[str, set[str]]:
    return {
        kind: {row["slug"] for row in client.get(f"/v1/{kind}", headers=headers).json()["data"]}
        for kind in ("people", "sources")
    }


def _events(client, hook) -> list[str]:
    webhook, admin = hook
    deliveries = client.get(f"/v1/webhooks/{webhook['id']}/deliveries", params={"limit": 100}, headers=admin)
    return [d["event_type"] for d in reversed(deliveries.json()["data"])]


def _changes(client) -> list[tuple[str, str]]:
    return [(c["type"], c["op"]) for c in client.get("/v1/changes", params={"limit": 1000}).json()["data"]]


def test_a_drafts_inline_people_and_sources_are_public_only_once_it_is_published(client, desk_key, hook):
    article = create(client, desk_key, **INLINE)

    before = _public(client)
    keyed = _public(client, desk_key)
    pages = [client.get(f"/v1/people/{slug}").status_code for slug in PEOPLE]
    pages += [client.get(f"/v1/sources/{slug}").status_code for slug in SOURCES]
    found = client.get("/v1/people", params={"q": "vidal"}).json()["data"]
    exported = client.get("/v1/export").text
    changes, events = _changes(client), _events(client, hook)
    published = publish(client, desk_key, article["id"])
    after = _public(client)

    assert before == {"people": set(), "sources": set()} and found == [] and "Vidal" not in exported
    assert set(pages) == {404}
    assert keyed == {"people": PEOPLE, "sources": SOURCES}
    assert changes == [] and events == []
    assert published.status_code == 200, published.text
    assert after == {"people": PEOPLE, "sources": SOURCES}
    assert client.get("/v1/people/mona-vidal").status_code == 200
    assert "Mona Vidal" in client.get("/v1/export").text
    # Made public with the article, and told first: a mirror has them when the article names them.
    changes, events = _changes(client), _events(client, hook)
    assert changes[:4] == [("person", "upsert")] + [("source", "upsert")] * 3 and ("article", "upsert") in changes
    assert events[:4] == ["person.created"] + ["source.created"] * 3 and "article.published" in events


def test_a_scheduled_article_makes_them_public_when_its_time_comes(client, desk_key):
    article = create(client, desk_key, **INLINE)
    due = (utcnow() + timedelta(seconds=2)).replace(microsecond=0)
    scheduled = publish(client, desk_key, article["id"], at=iso(due))
    before = _public(client)
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.2)

    published = schedule.apply_due()

    assert scheduled.json()["status"] == "scheduled" and published == 1
    assert before == {"people": set(), "sources": set()}
    assert _public(client) == {"people": PEOPLE, "sources": SOURCES}


def test_a_public_article_naming_a_drafts_speaker_makes_it_public(client, desk_key):
    create(client, desk_key, **INLINE)
    hidden = _public(client)

    create(
        client,
        desk_key,
        title="Suite",
        status="published",
        quotes=[{"text": "Toujours rien.", "speaker": "mona-vidal"}],
    )

    assert hidden["people"] == set()
    assert _public(client) == {"people": PEOPLE, "sources": set()}


def test_a_standalone_quote_is_public_and_so_is_its_inline_speaker(client, desk_key):
    draft = create(client, desk_key, title="Brouillon")
    on_draft = client.post(
        "/v1/quotes",
        json={"text": "Pas encore.", "speaker": {"name": "Paul Brun"}, "article": draft["id"]},
        headers=desk_key,
    )
    hidden = _public(client)
    alone = client.post("/v1/quotes", json={"text": "Voilà.", "speaker": {"name": "Léa Roy"}}, headers=desk_key)

    assert on_draft.status_code == 201 and alone.status_code == 201
    assert hidden["people"] == set()
    assert _public(client)["people"] == {"lea-roy"}


def test_people_and_sources_made_through_their_own_endpoints_are_public_at_once(client, desk_key, hook):
    person = client.post("/v1/people", json={"name": "Ana Reyes"}, headers=desk_key)
    source = client.post("/v1/sources", json={"name": "AFP", "kind": "news_agency"}, headers=desk_key)

    assert person.status_code == 201 and source.status_code == 201
    assert _public(client) == {"people": {"ana-reyes"}, "sources": {"afp"}}
    assert _events(client, hook) == ["person.created", "source.created"]


def test_changing_an_unlisted_speaker_tells_the_public_nothing(client, desk_key, hook):
    create(client, desk_key, **INLINE)

    renamed = client.patch(
        "/v1/people/mona-vidal", json={"name": "Mona Vidal-Roux"}, headers={**desk_key, "If-Match": "*"}
    )

    assert renamed.status_code == 200, renamed.text
    assert _changes(client) == [] and _events(client, hook) == []
    assert client.get("/v1/people/mona-vidal").status_code == 404
