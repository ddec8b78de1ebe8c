"""Categories, quotes, people, sources, tags and authors, read as a front end would."""

from datetime import UTC, datetime

from app.store.models import SlugRedirect
from tests.support.factories import (
    make_article,
    make_author,
    make_category,
    make_person,
    make_source,
    make_tag,
)


def test_categories_come_in_menu_order_with_parent_and_position(client, session):
    world = make_category(session, "international", position=2)
    make_category(session, "decryptages", position=1)
    make_category(session, "europe", parent=world, position=1)
    make_category(session, "afrique", parent=world, position=0)

    flat = client.get("/v1/categories").json()["data"]
    tree = client.get("/v1/categories", params={"tree": "true"}).json()["data"]

    assert [(c["slug"], c["parent"]) for c in flat] == [
        ("decryptages", None),
        ("international", None),
        ("afrique", "international"),
        ("europe", "international"),
    ]
    assert [c["slug"] for c in tree] == ["decryptages", "international"]
    assert [c["slug"] for c in tree[1]["children"]] == ["afrique", "europe"]
    assert client.get("/v1/categories/europe").json()["parent"] == "international"


def test_quotes_show_speaker_role_article_and_source(client, session):
    make_person(session, "peter-cook", name="Peter Cook")
    make_source(session, "le-figaro", name="Le Figaro")
    article = make_article(
        session,
        quotes=[
            {
                "text": "Nous poursuivrons les discussions.",
                "speaker": "peter-cook",
                "speaker_role": "porte-parole du Pentagone",
                "source": "le-figaro",
            }
        ],
    )

    listed = client.get("/v1/quotes", params={"speaker": "peter-cook"}).json()["data"]
    one = client.get(f"/v1/quotes/{listed[0]['id']}").json()

    assert one == listed[0]
    assert one["speaker"]["name"] == "Peter Cook" and one["speaker_role"] == "porte-parole du Pentagone"
    assert one["article"]["id"] == article.id and one["source"]["slug"] == "le-figaro"
    assert client.get("/v1/quotes", params={"article": article.id}).json()["data"] == listed
    assert client.get("/v1/quotes", params={"speaker": "nobody"}).json()["data"] == []


def test_quotes_of_drafts_are_not_public(client, session):
    make_person(session, "maria-zakharova")
    draft = make_article(session, status="draft", quotes=[{"text": "Secret.", "speaker": "maria-zakharova"}])
    quote_id = client.get("/v1/quotes").json()["data"]

    assert quote_id == []
    assert client.get("/v1/quotes", params={"article": draft.id}).json()["data"] == []


def test_people_sources_tags_and_authors_list_and_get(client, session):
    make_person(
        session, "john-kerry", name="John Kerry", current_role="secrétaire d'État", organization="Département d'État"
    )
    make_source(session, "reuters", name="Reuters", kind="photo_agency", homepage="https://www.reuters.com")
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "jeanne-martin", name="Jeanne Martin")

    person = client.get("/v1/people/john-kerry").json()
    source = client.get("/v1/sources/reuters").json()

    assert person["current_role"] == "secrétaire d'État" and person["organization"] == "Département d'État"
    assert source["kind"] == "photo_agency" and source["homepage"] == "https://www.reuters.com"
    assert [t["slug"] for t in client.get("/v1/tags").json()["data"]] == ["syrie"]
    assert client.get("/v1/authors/jeanne-martin").json()["name"] == "Jeanne Martin"
    assert [p["slug"] for p in client.get("/v1/people", params={"q": "kerr"}).json()["data"]] == ["john-kerry"]


def test_directory_lists_page_by_cursor(client, session):
    for n in range(5):
        make_tag(session, f"tag-{n}")

    first = client.get("/v1/tags", params={"limit": 2, "count": "true"}).json()
    second = client.get("/v1/tags", params={"limit": 2, "cursor": first["meta"]["next_cursor"]}).json()

    assert [t["slug"] for t in first["data"] + second["data"]] == ["tag-0", "tag-1", "tag-2", "tag-3"]
    assert first["meta"]["total"] == 5


def test_old_slug_redirects_to_current(client, session):
    article = make_article(session, slug="nouveau-titre")
    tag = make_tag(session, "syrie")
    session.add(
        SlugRedirect(resource_type="article", slug="ancien-titre", resource_id=article.id, created_at=datetime.now(UTC))
    )
    session.add(SlugRedirect(resource_type="tag", slug="syria", resource_id=tag.id, created_at=datetime.now(UTC)))
    session.commit()

    response = client.get("/v1/articles/slug/ancien-titre", params={"fields": "id"})
    assert response.status_code == 301
    assert response.headers["location"].endswith("/v1/articles/slug/nouveau-titre?fields=id")
    assert client.get("/v1/articles/slug/ancien-titre", follow_redirects=True).json()["id"] == article.id
    assert client.get("/v1/tags/syria").status_code == 301


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_docs_page_needs_no_outside_network(client):
    page = client.get("/docs")

    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("/static-offline-docs/swagger-ui-bundle.js", "/static-offline-docs/swagger-ui.css"):
        assert asset in page.text and client.get(asset).status_code == 200
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
