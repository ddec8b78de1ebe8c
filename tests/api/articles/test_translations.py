"""Translations over HTTP: joining and leaving a group, what each reader sees of the other
members, JSON-LD, and the errors."""

from datetime import timedelta

from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, patch


def _published(client, headers, **fields):
    return create(client, headers, status="published", **fields)


def _langs(article: dict) -> list[str]:
    return [t["language"] for t in article["translations"]]


def test_an_article_joins_a_group_on_create_and_both_show_each_other(client, session):
    headers = desk(session)
    original = _published(client, headers, title="La réforme", language="fr")
    english = _published(client, headers, title="The reform", language="en", translation_of=original["id"])
    assert english["translation_of"] == original["id"]
    assert english["translations"] == [
        {
            "language": "fr",
            "id": original["id"],
            "slug": original["slug"],
            "url": original["url"],
            "original": True,
            "expires_at": None,
        }
    ]
    # The original's own answer (its stored document) shows its translation, publicly.
    fr = client.get(f"/v1/articles/{original['id']}").json()
    assert fr["translation_of"] is None
    assert [(t["language"], t["id"], t["original"]) for t in fr["translations"]] == [("en", english["id"], False)]
    by_slug = client.get(f"/v1/articles/slug/{original['slug']}").json()
    assert by_slug["translations"] == fr["translations"]
    # A third language joins through any member: it translates the group's original.
    german = _published(client, headers, title="Die Reform", language="de", translation_of=english["id"])
    assert german["translation_of"] == original["id"]
    assert _langs(client.get(f"/v1/articles/{original['id']}").json()) == ["de", "en"]
    assert _langs(client.get(f"/v1/articles/{english['id']}").json()) == ["de", "fr"]


def test_joining_and_leaving_with_patch(client, session):
    headers = desk(session)
    fr = _published(client, headers, title="Un", language="fr")
    en = _published(client, headers, title="One", language="en")
    joined = patch(client, headers, en, {"translation_of": fr["id"]})
    assert joined.status_code == 200, joined.text
    assert joined.json()["translation_of"] == fr["id"]
    assert _langs(client.get(f"/v1/articles/{fr['id']}").json()) == ["en"]
    # A PATCH that leaves translation_of out keeps the group.
    kept = patch(client, headers, joined.json(), {"kicker": "Encore"})
    assert kept.status_code == 200 and kept.json()["translation_of"] == fr["id"]
    left = patch(client, headers, kept.json(), {"translation_of": None})
    assert left.status_code == 200, left.text
    assert left.json()["translations"] == [] and left.json()["translation_of"] is None
    assert client.get(f"/v1/articles/{fr['id']}").json()["translations"] == []


def test_the_original_leaving_passes_the_group_to_the_oldest_member_left(client, session):
    headers = desk(session)
    fr = _published(client, headers, title="Un", language="fr")
    en = _published(client, headers, title="One", language="en", translation_of=fr["id"])
    de = _published(client, headers, title="Eins", language="de", translation_of=fr["id"])
    current = client.get(f"/v1/articles/{fr['id']}").json()
    assert patch(client, headers, current, {"translation_of": None}).status_code == 200
    en_now = client.get(f"/v1/articles/{en['id']}").json()
    assert en_now["translation_of"] is None
    assert [(t["language"], t["original"]) for t in en_now["translations"]] == [("de", False)]
    assert client.get(f"/v1/articles/{de['id']}").json()["translation_of"] == en["id"]
    jsonld = client.get(f"/v1/articles/{en['id']}", params={"format": "jsonld"}).json()
    assert [w["inLanguage"] for w in jsonld["workTranslation"]] == ["de"]


def test_errors_name_the_field(client, session):
    headers = desk(session)
    fr = _published(client, headers, title="Un", language="fr")
    unknown = client.post(
        "/v1/articles", json={"title": "x", "language": "en", "translation_of": "01NOSUCHARTICLE"}, headers=headers
    )
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in unknown.json()["errors"]] == ["translation_of"]
    same = client.post("/v1/articles", json={"title": "y", "language": "fr", "translation_of": fr["id"]}, headers=headers)
    assert same.status_code == 409
    assert [e["field"] for e in same.json()["errors"]] == ["translation_of"]
    itself = patch(client, headers, fr, {"translation_of": fr["id"]})
    assert itself.status_code == 422 and itself.json()["errors"][0]["field"] == "translation_of"
    wrong_type = patch(client, headers, fr, {"translation_of": 12})
    assert wrong_type.status_code == 422 and wrong_type.json()["errors"][0]["field"] == "translation_of"
    # A member that takes the language of another member: 409 too.
    en = _published(client, headers, title="One", language="en", translation_of=fr["id"])
    clash = patch(client, headers, en, {"language": "fr"})
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "translation_of"
    # Nothing of a refused write stays.
    assert client.post("/v1/articles", json={"title": "z", "language": "en"}, headers=headers).status_code == 201
    assert _langs(client.get(f"/v1/articles/{fr['id']}").json()) == ["en"]


def test_drafts_embargoed_and_expired_translations_show_only_to_keys(client, session):
    headers = desk(session)
    reader = desk(session, "content:read", name="reader")
    fr = _published(client, headers, title="Public", language="fr")
    draft = create(client, headers, title="Draft", language="en", translation_of=fr["id"])
    embargoed = _published(
        client,
        headers,
        title="Withheld",
        language="de",
        translation_of=fr["id"],
        embargoed_until=iso(utcnow() + timedelta(hours=1)),
    )
    expiring = _published(
        client,
        headers,
        title="Expiring",
        language="es",
        translation_of=fr["id"],
        expires_at=iso(utcnow() + timedelta(minutes=5)),
    )
    public = client.get(f"/v1/articles/{fr['id']}")
    assert _langs(public.json()) == ["es"]
    for hidden in (draft, embargoed):
        assert hidden["id"] not in public.text, (hidden["id"], public.text)
        assert hidden["slug"] not in public.text
    assert _langs(client.get(f"/v1/articles/{fr['id']}", headers=reader).json()) == ["de", "en", "es"]
    listed = client.get("/v1/articles", headers=reader).json()["data"]
    assert {a["id"]: _langs(a) for a in listed}[fr["id"]] == ["de", "en", "es"]

    clock.advance(timedelta(minutes=6))  # the Spanish one has expired, before any job ran
    for path in (f"/v1/articles/{fr['id']}", f"/v1/articles/slug/{fr['slug']}", "/v1/articles"):
        answer = client.get(path)
        assert answer.status_code == 200 and expiring["id"] not in answer.text, path
    jsonld = client.get(f"/v1/articles/{fr['id']}", params={"format": "jsonld"}).json()
    assert "workTranslation" not in jsonld and jsonld["inLanguage"] == "fr"


def test_jsonld_names_the_original_and_its_translations(client, session):
    headers = desk(session)
    fr = _published(client, headers, title="Un", language="fr")
    en = _published(client, headers, title="One", language="en", translation_of=fr["id"])
    original = client.get(f"/v1/articles/{fr['id']}", params={"format": "jsonld"}).json()
    assert original["inLanguage"] == "fr"
    assert original["workTranslation"] == [
        {"@type": "NewsArticle", "@id": en["url"], "url": en["url"], "inLanguage": "en"}
    ]
    assert "translationOfWork" not in original
    translation = client.get(f"/v1/articles/{en['id']}", params={"format": "jsonld"}).json()
    assert translation["inLanguage"] == "en"
    assert translation["translationOfWork"]["@id"] == fr["url"]
    assert "workTranslation" not in translation


def test_a_renamed_member_shows_its_new_slug_in_the_others(client, session):
    headers = desk(session)
    fr = _published(client, headers, title="Un", language="fr")
    en = _published(client, headers, title="One", language="en", translation_of=fr["id"])
    assert client.get(f"/v1/articles/{fr['id']}").json()["translations"][0]["slug"] == en["slug"]  # cached now
    assert patch(client, headers, en, {"slug": "one-renamed"}).status_code == 200
    assert client.get(f"/v1/articles/{fr['id']}").json()["translations"][0]["slug"] == "one-renamed"
    # Unpublished, it disappears from the original's public answer.
    current = client.get(f"/v1/articles/{en['id']}").json()
    assert client.post(f"/v1/articles/{en['id']}/unpublish", headers={**headers, "If-Match": f'"{current["version"]}"'}).status_code == 200
    assert client.get(f"/v1/articles/{fr['id']}").json()["translations"] == []
