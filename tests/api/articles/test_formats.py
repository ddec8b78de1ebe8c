"""An article as IPTC ninjs 3 and as schema.org NewsArticle (JSON-LD)."""

import json
from pathlib import Path

from jsonschema import Draft202012Validator

import app.articles
from tests.support.factories import (
    make_article,
    make_author,
    make_category,
    make_person,
    make_source,
    make_tag,
)

NINJS_SCHEMA = Path(app.articles.__file__).with_name("ninjs-schema_3.1.json")  # IPTC's, CC BY 4.0


def _rich_article(session):
    make_category(session, "international", name="International")
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "jeanne-martin", name="Jeanne Martin")
    make_source(session, "le-figaro", name="Le Figaro")
    make_source(session, "reuters", name="Reuters", kind="photo_agency")
    make_person(session, "john-kerry", name="John Kerry")
    return make_article(
        session,
        title="Moscou et Washington <engagent> des discussions",
        kicker="Un pas en avant",
        standfirst="Selon John Kerry, « un terrain d'entente ».",
        language="fr",
        category="international",
        tags=["syrie"],
        authors=["jeanne-martin"],
        image={
            "url": "https://images.example.org/carter.jpg",
            "alt": "Ashton Carter",
            "caption": "Le ministre",
            "credit_source": "reuters",
        },
        attributions=[
            {
                "source": "le-figaro",
                "role": "read_on",
                "label": "Lu sur Le Figaro",
                "url": "https://www.lefigaro.fr/international/article.php",
            }
        ],
        quotes=[{"text": "Un terrain d'entente.", "speaker": "john-kerry", "speaker_role": "secrétaire d'État"}],
        body=[
            {"type": "paragraph", "text": "Les Etats-Unis et la Russie ont engagé des discussions."},
            {"type": "quote", "quote": 0},
        ],
    )


def test_ninjs_validates_against_the_iptc_schema(client, session):
    article = _rich_article(session)

    response = client.get(f"/v1/articles/{article.id}", params={"format": "ninjs"})

    assert response.status_code == 200
    validator = Draft202012Validator(
        json.loads(NINJS_SCHEMA.read_text()), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())]
    assert errors == []


def test_ninjs_carries_every_field_that_has_a_home(client, session):
    article = _rich_article(session)

    ninjs = client.get(f"/v1/articles/{article.id}", params={"format": "ninjs"}).json()

    assert ninjs["uri"].endswith(f"/v1/articles/{article.id}")
    assert {"role": "main", "value": "Moscou et Washington <engagent> des discussions"} in ninjs["headlines"]
    assert {"role": "kicker", "value": "Un pas en avant"} in ninjs["headlines"]
    assert ninjs["descriptions"] == [{"role": "summary", "value": "Selon John Kerry, « un terrain d'entente »."}]
    html = next(b for b in ninjs["bodies"] if b["contentType"] == "text/html")
    assert "<p>Les Etats-Unis" in html["value"] and html["wordCount"] > 0
    assert ninjs["by"] == "Jeanne Martin"
    assert {(p["name"], p["rel"]) for p in ninjs["people"]} == {("Jeanne Martin", "author"), ("John Kerry", "quoted")}
    assert {(s["literal"], s["rel"]) for s in ninjs["subjects"]} == {
        ("international", "primary-category"),
        ("syrie", "tag"),
    }
    image = next(a for a in ninjs["associations"] if a["type"] == "picture")
    assert image["uri"] == "https://images.example.org/carter.jpg" and image["copyrightHolder"] == "Reuters"
    read_on = next(a for a in ninjs["associations"] if a["rel"] == "read_on")
    assert read_on["uri"] == "https://www.lefigaro.fr/international/article.php"
    assert {"name": "Le Figaro", "role": "read_on"}.items() <= ninjs["infoSources"][0].items()
    assert ninjs["language"] == "fr" and ninjs["version"] == "1" and ninjs["pubStatus"] == "usable"
    assert ninjs["renditions"][0]["href"] == "https://www.example.org/international/" + article.slug
    assert ninjs["versionCreated"].endswith("Z") and ninjs["contentCreated"].endswith("Z")


def test_jsonld_is_a_schema_org_news_article(client, session):
    article = _rich_article(session)

    response = client.get(f"/v1/articles/{article.id}", params={"format": "jsonld"})
    ld = response.json()

    assert response.headers["content-type"].startswith("application/ld+json")
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "NewsArticle"
    assert ld["headline"] == "Moscou et Washington <engagent> des discussions"
    assert ld["alternativeHeadline"] == "Un pas en avant"
    assert ld["description"] == "Selon John Kerry, « un terrain d'entente »."
    assert "Les Etats-Unis et la Russie" in ld["articleBody"] and "Un terrain d'entente." in ld["articleBody"]
    assert ld["articleSection"] == "International" and ld["inLanguage"] == "fr"
    assert ld["datePublished"] and ld["dateModified"]
    assert ld["author"] == [{"@type": "Person", "name": "Jeanne Martin"}]
    assert ld["publisher"] == {"@type": "Organization", "name": "Gazette", "url": "https://www.example.org"}
    assert ld["image"]["url"] == "https://images.example.org/carter.jpg" and ld["image"]["creditText"] == "Reuters"
    assert ld["isBasedOn"]["url"] == "https://www.lefigaro.fr/international/article.php"
    assert ld["isBasedOn"]["publisher"]["name"] == "Le Figaro"
    url = "https://www.example.org/international/" + article.slug
    assert ld["url"] == url and ld["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}


def test_formats_work_by_slug_too(client, session):
    article = _rich_article(session)

    ninjs = client.get(f"/v1/articles/slug/{article.slug}", params={"format": "ninjs"}).json()
    ld = client.get(f"/v1/articles/slug/{article.slug}", params={"format": "jsonld"}).json()

    assert ninjs["uri"].endswith(f"/v1/articles/{article.id}") and ld["identifier"] == article.id


def test_json_is_the_default_format(client, session):
    article = make_article(session)

    plain = client.get(f"/v1/articles/{article.id}")
    explicit = client.get(f"/v1/articles/{article.id}", params={"format": "json"})

    assert plain.headers["content-type"] == "application/json" and plain.json() == explicit.json()
    assert plain.json()["id"] == article.id


def test_unknown_format_is_a_400_naming_format(client, session):
    article = make_article(session)

    response = client.get(f"/v1/articles/{article.id}", params={"format": "xml"})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["format"]


def test_fields_with_another_format_is_a_400_naming_fields(client, session):
    article = make_article(session)

    response = client.get(f"/v1/articles/{article.id}", params={"format": "ninjs", "fields": "id"})

    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "fields"


def test_drafts_have_no_ninjs_or_jsonld(client, session):
    draft = make_article(session, status="draft")

    assert client.get(f"/v1/articles/{draft.id}", params={"format": "ninjs"}).status_code == 404
    assert client.get(f"/v1/articles/{draft.id}", params={"format": "jsonld"}).status_code == 404


def test_jsonld_can_be_pasted_into_a_script_element(client, session):
    hostile = "</script><script>alert(1)</script>"
    article = make_article(
        session,
        title=hostile,
        standfirst="Tom & Jerry <!-- a line\u2028and a paragraph\u2029end",
        body=[{"type": "paragraph", "text": hostile}],
        status="published",
    )

    response = client.get(f"/v1/articles/{article.id}", params={"format": "jsonld"})

    assert response.status_code == 200
    raw = response.content
    for unsafe in (b"<", b">", b"&", "\u2028".encode(), "\u2029".encode()):
        assert unsafe not in raw
    assert b"\\u003c/script\\u003e" in raw
    page = f'<script type="application/ld+json">{raw.decode()}</script>'
    assert page.lower().count("</script") == 1  # only the element's own end
    # Escaped, not changed: a JSON reader gets the very text back.
    document = response.json()
    assert document["headline"] == hostile
    assert document["description"] == "Tom & Jerry <!-- a line\u2028and a paragraph\u2029end"
    assert hostile in document["articleBody"]
