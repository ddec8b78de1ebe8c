"""Translations over HTTP: joining and leaving a group, what each reader sees of the other
members, JSON-LD, and the errors."""

from datetime import timedelta

from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, feed_tail, patch


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
    same = client.post(
        "/v1/articles", json={"title": "y", "language": "fr", "translation_of": fr["id"]}, headers=headers
    )
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
    assert (
        client.post(
            f"/v1/articles/{en['id']}/unpublish", headers={**headers, "If-Match": f'"{current["version"]}"'}
        ).status_code
        == 200
    )
    assert client.get(f"/v1/articles/{fr['id']}").json()["translations"] == []


def _ids(client, params, headers=None) -> list[str]:
    answer = client.get("/v1/articles", params={"limit": 100, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return [a["id"] for a in answer.json()["data"]]


def test_a_list_in_one_language_with_an_explicit_fallback(client, session):
    headers = desk(session)
    reader = desk(session, "content:read", name="reader")
    g1_fr = _published(client, headers, title="G1 fr", language="fr")
    g1_en = _published(client, headers, title="G1 en", language="en", translation_of=g1_fr["id"])
    g2_fr = _published(client, headers, title="G2 fr", language="fr")
    g2_en = create(client, headers, title="G2 en draft", language="en", translation_of=g2_fr["id"])
    g3_en = _published(client, headers, title="G3 en", language="en")
    g3_de = _published(client, headers, title="G3 de", language="de", translation_of=g3_en["id"])
    solo_fr = _published(client, headers, title="Seul", language="fr")
    solo_en = _published(client, headers, title="Alone", language="en")
    solo_de = _published(client, headers, title="Allein", language="de")

    # Without fallback nothing is substituted: English alone.
    assert set(_ids(client, {"lang": "en"})) == {g1_en["id"], g3_en["id"], solo_en["id"]}
    with_fallback = {g1_en["id"], g2_fr["id"], g3_en["id"], solo_fr["id"], solo_en["id"]}
    assert set(_ids(client, {"lang": "en", "fallback": "fr"})) == with_fallback
    listed = client.get("/v1/articles", params={"lang": "en", "fallback": "fr", "limit": 100}).json()["data"]
    assert {a["id"]: a["language"] for a in listed}[g2_fr["id"]] == "fr"  # each item says its language
    assert {a["id"]: a["translation_of"] for a in listed}[g1_en["id"]] == g1_fr["id"]
    assert set(_ids(client, {"lang": "de", "fallback": "en"})) == {
        g1_en["id"],
        g3_de["id"],
        solo_en["id"],
        solo_de["id"],
    }
    # A key listing every status sees the English draft, which then stands for its group.
    everything = set(_ids(client, {"lang": "en", "fallback": "fr", "status": "all"}, headers=reader))
    assert g2_en["id"] in everything and g2_fr["id"] not in everything
    # Keyset pages, one article a page, give the same list, once each, in either sort.
    for sort in ("-published_at", "updated_at"):
        walked, cursor = [], None
        while True:
            params = {
                "lang": "en",
                "fallback": "fr",
                "limit": 1,
                "sort": sort,
                **({"cursor": cursor} if cursor else {}),
            }
            page = client.get("/v1/articles", params=params).json()
            walked += [a["id"] for a in page["data"]]
            cursor = page["meta"]["next_cursor"]
            if not cursor:
                break
        assert walked == _ids(client, {"lang": "en", "fallback": "fr", "sort": sort})
        assert len(walked) == len(set(walked)) == len(with_fallback)
    counted = client.get("/v1/articles", params={"lang": "en", "fallback": "fr", "count": "true"}).json()
    assert counted["meta"]["total"] == len(with_fallback)


def test_fallback_errors_name_the_parameter(client):
    for params in ({"fallback": "fr"}, {"lang": "en", "fallback": "fr", "q": "x"}, {"lang": "en", "fallback": "f!"}):
        answer = client.get("/v1/articles", params=params)
        assert answer.status_code in (400, 422), (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in answer.json()["errors"]] == ["fallback"], params


def test_each_member_is_found_by_its_own_languages_stemming(client, session):
    headers = desk(session)
    fr = _published(
        client,
        headers,
        title="Les cheminots manifestaient",
        language="fr",
        body=[{"type": "paragraph", "text": "Les grévistes manifestaient devant les gares."}],
    )
    en = _published(
        client,
        headers,
        title="Rail workers were protesting",
        language="en",
        translation_of=fr["id"],
        body=[{"type": "paragraph", "text": "The strikers were protesting outside the stations."}],
    )

    def found(q: str, lang: str) -> list[str]:
        return [a["id"] for a in client.get("/v1/articles", params={"q": q, "lang": lang}).json()["data"]]

    assert found("manifester", "fr") == [fr["id"]]  # manifestaient, by the French stemmer
    assert found("protest", "en") == [en["id"]]  # protesting, by the English one
    assert found("manifester", "en") == [] and found("protest", "fr") == []


def _upserted_since(client, since: str) -> list[str]:
    body = client.get("/v1/changes", params={"since": since, "limit": 1000, "types": "article"}).json()
    return [c["id"] for c in body["data"] if c["op"] == "upsert"]


def test_the_other_members_are_upserts_in_the_change_feed_when_what_they_show_changes(client, session):
    """A mirror that keeps read shapes learns that a member's `translations` changed: joining,
    a new slug, leaving. A draft member is never named; a write that changes nothing the
    others show records only itself."""
    headers = desk(session)
    fr = _published(client, headers, title="La crue", language="fr")
    since = feed_tail(client)
    en = _published(client, headers, title="The flood", language="en", translation_of=fr["id"])
    assert sorted(_upserted_since(client, since)) == sorted([fr["id"], en["id"]])

    since = feed_tail(client)
    assert patch(client, headers, en, {"slug": "the-flood-renamed"}).status_code == 200
    assert sorted(_upserted_since(client, since)) == sorted([fr["id"], en["id"]])

    since = feed_tail(client)
    en = client.get(f"/v1/articles/{en['id']}").json()
    assert patch(client, headers, en, {"standfirst": "Rien que le chapeau."}).status_code == 200
    assert _upserted_since(client, since) == [en["id"]]

    draft = create(client, headers, title="Die Flut", language="de", translation_of=fr["id"])
    since = feed_tail(client)
    en = client.get(f"/v1/articles/{en['id']}").json()
    assert patch(client, headers, en, {"translation_of": None}).status_code == 200
    upserts = _upserted_since(client, since)
    assert fr["id"] in upserts and draft["id"] not in upserts
    assert client.get(f"/v1/articles/{fr['id']}").json()["translations"] == []
