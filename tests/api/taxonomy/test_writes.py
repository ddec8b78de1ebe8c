"""Categories, people, sources, tags and authors written through the API with a content:write key."""

import threading
from collections import Counter

import httpx
import pytest
from sqlmodel import select

from app.store.models import Change
from tests.conftest import IS_POSTGRES
from tests.support.factories import (
    bearer,
    make_article,
    make_category,
    make_key,
    make_person,
    make_source,
    make_tag,
)
from tests.support.statements import statement_threads


@pytest.fixture
def writer(session) -> dict[str, str]:
    return bearer(make_key(session, "content:write"))


def _create(client, writer, path: str, **body):
    response = client.post(f"/v1/{path}", json=body, headers=writer)
    assert response.status_code == 201, response.text
    return response


def _patch(client, writer, path: str, etag: str, **body):
    return client.patch(f"/v1/{path}", json=body, headers={**writer, "If-Match": etag})


RESOURCES = [  # path, a valid body, a field to change and its new value
    ("categories", {"name": "International", "description": "Le monde"}, "description", "Le monde entier"),
    ("people", {"name": "John Kerry", "current_role": "secrétaire d'État"}, "organization", "Département d'État"),
    (
        "sources",
        {"name": "Reuters", "kind": "news_agency", "homepage": "https://www.reuters.com"},
        "kind",
        "photo_agency",
    ),
    ("tags", {"name": "Syrie"}, "name", "Syrie (guerre)"),
    ("authors", {"name": "Marie Dupont", "bio": "Reporter"}, "bio", "Grand reporter"),
]
PATHS = [r[0] for r in RESOURCES]


@pytest.mark.parametrize(("path", "body", "field", "value"), RESOURCES, ids=PATHS)
def test_create_answers_201_with_location_and_etag(client, writer, path, body, field, value):
    response = _create(client, writer, path, **body)

    created = response.json()
    assert response.headers["location"] == f"/v1/{path}/{created['slug']}"
    assert response.headers["etag"] == '"1"' and created["version"] == 1
    assert client.get(response.headers["location"]).json() == created


@pytest.mark.parametrize(("path", "body", "field", "value"), RESOURCES, ids=PATHS)
def test_patch_changes_the_field_and_bumps_the_version(client, writer, path, body, field, value):
    created = _create(client, writer, path, **body)

    response = _patch(client, writer, f"{path}/{created.json()['slug']}", created.headers["etag"], **{field: value})

    assert response.status_code == 200, response.text
    assert response.json()[field] == value and response.json()["version"] == 2
    assert response.headers["etag"] == '"2"'
    assert client.get(f"/v1/{path}/{response.json()['slug']}").json()[field] == value


@pytest.mark.parametrize("path", PATHS)
def test_delete_removes_the_resource(client, writer, path):
    created = _create(client, writer, path, name="Éphémère")

    response = client.delete(f"/v1/{path}/ephemere", headers={**writer, "If-Match": created.headers["etag"]})

    assert response.status_code == 204
    assert client.get(f"/v1/{path}/ephemere").status_code == 404


@pytest.mark.parametrize("path", PATHS)
def test_old_slug_redirects_to_current_after_a_rename(client, writer, path):
    created = _create(client, writer, path, name="Moyen-Orient")

    _patch(client, writer, f"{path}/moyen-orient", created.headers["etag"], slug="proche-orient")

    old = client.get(f"/v1/{path}/moyen-orient", follow_redirects=False)
    assert old.status_code == 301 and old.headers["location"].endswith(f"/v1/{path}/proche-orient")


def test_slug_is_made_from_the_name_with_accents_folded(client, writer):
    assert _create(client, writer, "people", name="Sergueï Choïgou").json()["slug"] == "serguei-choigou"


def test_slug_made_from_a_name_already_taken_gets_a_suffix(client, writer):
    _create(client, writer, "tags", name="Économie")

    assert _create(client, writer, "tags", name="Economie").json()["slug"] == "economie-2"


def test_given_slug_that_is_taken_is_409_naming_slug(client, writer, session):
    make_source(session, "le-figaro")

    response = client.post("/v1/sources", json={"name": "Figaro", "slug": "le-figaro"}, headers=writer)

    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "slug", "message": "'le-figaro' is taken"}]


def test_old_slug_of_another_resource_cannot_be_taken(client, writer):
    created = _create(client, writer, "authors", name="Ann Lee")
    _patch(client, writer, "authors/ann-lee", created.headers["etag"], slug="ann-lee-smith")

    response = client.post("/v1/authors", json={"name": "Ann Lee", "slug": "ann-lee"}, headers=writer)

    assert response.status_code == 409  # /v1/authors/ann-lee still redirects to Ann Lee Smith


def test_a_resource_takes_back_its_own_old_slug(client, writer):
    created = _create(client, writer, "tags", name="Brexit")
    renamed = _patch(client, writer, "tags/brexit", created.headers["etag"], slug="sortie-ue")

    back = _patch(client, writer, "tags/sortie-ue", renamed.headers["etag"], slug="brexit")

    assert back.status_code == 200 and client.get("/v1/tags/brexit").status_code == 200
    assert client.get("/v1/tags/sortie-ue", follow_redirects=False).status_code == 301


def test_slug_null_makes_a_new_slug_from_the_name(client, writer):
    created = _create(client, writer, "people", name="Maria Zakharova")

    response = _patch(
        client,
        writer,
        "people/maria-zakharova",
        created.headers["etag"],
        name="Maria Vladimirovna Zakharova",
        slug=None,
    )

    assert response.json()["slug"] == "maria-vladimirovna-zakharova"


def test_renaming_without_a_slug_keeps_the_slug(client, writer):
    created = _create(client, writer, "categories", name="Monde")

    response = _patch(client, writer, "categories/monde", created.headers["etag"], name="Le monde")

    assert response.json()["slug"] == "monde" and response.json()["name"] == "Le monde"


def test_a_write_may_name_the_resource_by_an_old_slug(client, writer):
    created = _create(client, writer, "tags", name="Ukraine")
    renamed = _patch(client, writer, "tags/ukraine", created.headers["etag"], slug="guerre-en-ukraine")

    response = _patch(client, writer, "tags/ukraine", renamed.headers["etag"], name="Guerre en Ukraine")

    assert response.status_code == 200 and response.json()["slug"] == "guerre-en-ukraine"


def test_patch_without_if_match_is_428(client, writer):
    _create(client, writer, "tags", name="Syrie")

    response = client.patch("/v1/tags/syrie", json={"name": "Syria"}, headers=writer)

    assert response.status_code == 428
    assert response.json()["errors"] == [{"field": "If-Match", "message": "required"}]


def test_patch_with_a_stale_if_match_is_412(client, writer):
    created = _create(client, writer, "tags", name="Syrie")
    _patch(client, writer, "tags/syrie", created.headers["etag"], name="Syria")

    response = _patch(client, writer, "tags/syrie", created.headers["etag"], name="Syrie !")

    assert response.status_code == 412 and response.headers["etag"] == '"2"'
    assert client.get("/v1/tags/syrie").json()["name"] == "Syria"


def test_of_writers_racing_with_the_same_etag_one_wins_and_the_rest_get_412(client, writer):
    _create(client, writer, "tags", name="Syrie")
    start, statuses = threading.Barrier(8), Counter()

    def write(n: int) -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=30) as own:
            start.wait()
            statuses[_patch(own, writer, "tags/syrie", '"1"', name=f"Syrie {n}").status_code] += 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses == {200: 1, 412: 7}
    assert client.get("/v1/tags/syrie").json()["version"] == 2


def test_delete_without_if_match_is_428(client, writer):
    _create(client, writer, "tags", name="Syrie")

    assert client.delete("/v1/tags/syrie", headers=writer).status_code == 428
    assert client.delete("/v1/tags/syrie", headers={**writer, "If-Match": '"7"'}).status_code == 412


def test_patch_is_a_merge_patch_where_null_clears_a_field(client, writer):
    created = _create(client, writer, "people", name="Peter Cook", description="Porte-parole", organization="Pentagone")

    response = _patch(client, writer, "people/peter-cook", created.headers["etag"], description=None)

    assert response.json()["description"] is None and response.json()["organization"] == "Pentagone"


def test_clearing_a_required_field_is_422_naming_it(client, writer):
    created = _create(client, writer, "authors", name="Ann Lee")

    response = _patch(client, writer, "authors/ann-lee", created.headers["etag"], name=None)

    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["name"]


def test_an_empty_patch_changes_nothing(client, writer):
    created = _create(client, writer, "authors", name="Ann Lee")

    response = _patch(client, writer, "authors/ann-lee", created.headers["etag"])

    assert response.status_code == 200 and response.json()["version"] == 1


def test_validation_errors_name_each_field(client, writer):
    response = client.post(
        "/v1/sources", json={"name": "", "kind": "blog", "homepage": "ftp://x", "slug": "Not A Slug"}, headers=writer
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {"name", "kind", "homepage", "slug"}


def test_an_unknown_field_is_422_naming_it(client, writer):
    response = client.post("/v1/tags", json={"name": "Syrie", "colour": "red"}, headers=writer)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "colour", "message": "unknown field"}]


def test_category_parent_is_set_by_slug(client, writer):
    _create(client, writer, "categories", name="International")

    created = _create(client, writer, "categories", name="Europe", parent="international", position=3)

    assert created.json()["parent"] == "international" and created.json()["position"] == 3
    tree = client.get("/v1/categories", params={"tree": "true"}).json()["data"]
    assert [c["slug"] for c in tree[0]["children"]] == ["europe"]


def test_an_unknown_parent_is_422(client, writer):
    response = client.post("/v1/categories", json={"name": "Europe", "parent": "nowhere"}, headers=writer)

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "parent"


def test_a_category_cannot_move_under_its_own_subcategory(client, writer, session):
    world = make_category(session, "international")
    make_category(session, "europe", parent=world)

    response = _patch(client, writer, "categories/international", '"1"', parent="europe")
    itself = _patch(client, writer, "categories/international", '"1"', parent="international")

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "parent"
    assert itself.status_code == 422


def test_deleting_a_category_that_holds_articles_is_409(client, writer, session):
    make_category(session, "international")
    make_article(session, category="international")

    response = client.delete("/v1/categories/international", headers={**writer, "If-Match": '"1"'})

    assert response.status_code == 409 and "reassign_to" in response.json()["detail"]
    assert client.get("/v1/categories/international").status_code == 200


def test_deleting_a_category_with_reassign_to_moves_its_articles(client, writer, session):
    make_category(session, "international")
    make_category(session, "monde")
    article = make_article(session, category="international")

    response = client.delete(
        "/v1/categories/international", params={"reassign_to": "monde"}, headers={**writer, "If-Match": '"1"'}
    )

    assert response.status_code == 204
    moved = client.get(f"/v1/articles/{article.id}").json()
    assert moved["category"]["slug"] == "monde" and moved["version"] == article.version + 1
    assert [a["id"] for a in client.get("/v1/articles", params={"category": "monde"}).json()["data"]] == [article.id]


def test_reassign_to_an_unknown_category_is_400_naming_it(client, writer, session):
    make_category(session, "international")
    make_article(session, category="international")

    response = client.delete(
        "/v1/categories/international", params={"reassign_to": "nowhere"}, headers={**writer, "If-Match": '"1"'}
    )

    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "reassign_to"


def test_deleting_a_category_with_subcategories_is_409(client, writer, session):
    make_category(session, "europe", parent=make_category(session, "international"))

    response = client.delete("/v1/categories/international", headers={**writer, "If-Match": '"1"'})

    assert response.status_code == 409 and "europe" in response.json()["detail"]


def test_deleting_a_person_who_is_quoted_is_409(client, writer, session):
    make_person(session, "peter-cook")
    make_article(session, quotes=[{"text": "Bonjour.", "speaker": "peter-cook"}])

    response = client.delete("/v1/people/peter-cook", headers={**writer, "If-Match": '"1"'})

    assert response.status_code == 409 and "1 quote" in response.json()["detail"]


def test_deleting_a_source_still_credited_is_409(client, writer, session):
    make_source(session, "le-figaro")
    make_article(session, attributions=[{"source": "le-figaro", "role": "read_on"}])

    response = client.delete("/v1/sources/le-figaro", headers={**writer, "If-Match": '"1"'})

    assert response.status_code == 409 and "1 attribution" in response.json()["detail"]


def test_deleting_a_tag_takes_it_off_its_articles(client, writer, session):
    make_tag(session, "syrie")
    article = make_article(session, tags=["syrie"])

    assert client.delete("/v1/tags/syrie", headers={**writer, "If-Match": '"1"'}).status_code == 204

    shown = client.get(f"/v1/articles/{article.id}").json()
    assert shown["tags"] == [] and shown["version"] == article.version + 1


def test_a_renamed_category_shows_its_new_name_in_articles(client, writer, session):
    make_category(session, "international", name="International")
    article = make_article(session, category="international")

    _patch(client, writer, "categories/international", '"1"', name="Monde")

    assert client.get(f"/v1/articles/{article.id}").json()["category"]["name"] == "Monde"


def test_renaming_a_person_renders_their_quotes_in_article_bodies_again(client, writer, session):
    make_person(session, "peter-cook", name="Peter Cook")
    article = make_article(
        session, quotes=[{"text": "Bonjour.", "speaker": "peter-cook"}], body=[{"type": "quote", "quote": 0}]
    )

    _patch(client, writer, "people/peter-cook", '"1"', name="Peter S. Cook")

    assert "Peter S. Cook" in client.get(f"/v1/articles/{article.id}").json()["body_html"]


def test_every_write_is_recorded_for_the_change_feed(client, writer, session):
    created = _create(client, writer, "tags", name="Syrie")
    tag_id = created.json()["id"]
    renamed = _patch(client, writer, "tags/syrie", created.headers["etag"], name="Syria")
    client.delete("/v1/tags/syrie", headers={**writer, "If-Match": renamed.headers["etag"]})

    rows = session.exec(select(Change).where(Change.resource_id == tag_id).order_by(Change.id)).all()
    assert [(c.resource_type, c.op, c.version) for c in rows] == [
        ("tag", "upsert", 1),
        ("tag", "upsert", 2),
        ("tag", "delete", 3),
    ]


def test_a_homepage_without_a_host_is_422(client, writer):
    response = client.post("/v1/sources", json={"name": "Reuters", "homepage": "http://["}, headers=writer)

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "homepage"


def test_a_rename_runs_on_the_event_loop_on_postgresql_and_in_a_thread_on_sqlite(client, writer):
    created = _create(client, writer, "categories", name="Monde")
    with statement_threads() as sent:
        renamed = _patch(client, writer, "categories/monde", created.headers["etag"], name="Le monde")

    assert renamed.status_code == 200, renamed.text
    threads = {thread for statement, thread in sent if statement.lstrip().upper().startswith("UPDATE CATEGORY ")}
    # A rename marks every document that shows the name stale in one statement: on SQLite
    # that statement runs in a thread, where the event loop goes on serving meanwhile
    # (app/http/routing.py, Route.sqlite_on_loop); on PostgreSQL it is awaited on the loop.
    assert len(threads) == 1, sent
    assert threads.pop().startswith("AnyIO worker") is not IS_POSTGRES
