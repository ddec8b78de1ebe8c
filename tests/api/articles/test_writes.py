"""Creating and changing articles: keys, merge patch, If-Match, slugs, validation, sanitising."""

from tests.support.editorial import create, desk, patch
from tests.support.factories import make_author, make_category, make_person, make_source, make_tag
from tests.support.statements import statement_threads, statements


def test_create_answers_201_with_location_etag_and_a_draft(client, session):
    headers = desk(session)

    response = client.post("/v1/articles", json={"title": "Un pas en avant"}, headers=headers)

    body = response.json()
    assert response.status_code == 201
    assert response.headers["location"] == f"/v1/articles/{body['id']}"
    assert response.headers["etag"] == '"1"' and body["version"] == 1
    assert body["status"] == "draft" and body["published_at"] is None


def test_writes_need_a_valid_key_with_content_write(client, session):
    reader = desk(session, "content:read")

    assert client.post("/v1/articles", json={"title": "x"}).status_code == 401
    assert (
        client.post("/v1/articles", json={"title": "x"}, headers={"Authorization": "Bearer gz_nope"}).status_code == 401
    )
    response = client.post("/v1/articles", json={"title": "x"}, headers=reader)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_publishing_at_create_needs_content_publish(client, session):
    writer = desk(session, "content:write")

    refused = client.post("/v1/articles", json={"title": "x", "status": "published"}, headers=writer)
    draft = client.post("/v1/articles", json={"title": "x"}, headers=writer)

    assert refused.status_code == 403 and draft.status_code == 201


def test_validation_errors_name_each_field(client, session):
    headers = desk(session)

    response = client.post(
        "/v1/articles",
        headers=headers,
        json={
            "title": "x" * 301,
            "language": "French",
            "body": [{"type": "paragraph"}, {"type": "video"}],
        },
    )

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"title", "language", "body[0].text"} <= fields and any(f.startswith("body[1]") for f in fields)


def test_a_body_of_too_many_blocks_is_refused(client, session):
    headers = desk(session)

    blocks = [{"type": "paragraph", "text": "x"}] * 501
    response = client.post("/v1/articles", json={"title": "x", "body": blocks}, headers=headers)

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body"


def test_malformed_json_is_400_and_wrong_types_422(client, session):
    headers = {**desk(session), "Content-Type": "application/json"}

    malformed = client.post("/v1/articles", content=b'{"title": ', headers=headers)
    wrong = client.post("/v1/articles", json={"title": ["not", "a", "string"]}, headers=headers)

    assert malformed.status_code == 400 and malformed.headers["content-type"] == "application/problem+json"
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "title"


def test_slug_is_made_from_the_title_with_accents_folded(client, session):
    headers = desk(session)

    article = create(client, headers, title="Élysée : Choïgou à l'œuvre")

    assert article["slug"] == "elysee-choigou-a-l-oeuvre"


def test_a_slug_made_from_a_title_already_used_gets_a_suffix(client, session):
    headers = desk(session)

    first = create(client, headers, title="Même titre")
    second = create(client, headers, title="Même titre")

    assert (first["slug"], second["slug"]) == ("meme-titre", "meme-titre-2")


def test_a_slug_given_that_is_taken_is_409_naming_slug(client, session):
    headers = desk(session)
    create(client, headers, title="A", slug="pris")

    response = client.post("/v1/articles", json={"title": "B", "slug": "pris"}, headers=headers)

    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "slug"


def test_patch_merges_into_the_article_and_bumps_the_version(client, session):
    headers = desk(session)
    article = create(client, headers, title="Avant", kicker="Un pas", standfirst="Le chapeau")

    response = patch(client, headers, article, {"title": "Après", "kicker": None})

    body = response.json()
    assert response.status_code == 200 and response.headers["etag"] == '"2"'
    assert (body["title"], body["kicker"], body["standfirst"], body["version"]) == ("Après", None, "Le chapeau", 2)
    assert body["slug"] == article["slug"]


def test_patch_without_if_match_is_428(client, session):
    headers = desk(session)
    article = create(client, headers)

    response = client.patch(
        f"/v1/articles/{article['id']}",
        json={"title": "x"},
        headers={**headers, "Content-Type": "application/merge-patch+json"},
    )

    assert response.status_code == 428 and response.headers["content-type"] == "application/problem+json"


def test_patch_with_a_stale_version_is_412_and_changes_nothing(client, session):
    headers = desk(session)
    article = create(client, headers, title="Premier")
    patch(client, headers, article, {"title": "Deuxième"})

    response = patch(client, headers, article, {"title": "Perdu"}, if_match='"1"')

    assert response.status_code == 412 and response.headers["etag"] == '"2"'
    current = client.get(f"/v1/articles/{article['id']}", headers=headers).json()
    assert current["title"] == "Deuxième" and current["version"] == 2


def test_if_match_takes_the_version_weak_or_bare(client, session):
    headers = desk(session)
    article = create(client, headers)

    weak = patch(client, headers, article, {"title": "Deux"}, if_match='W/"1"')
    bare = patch(client, headers, article, {"title": "Trois"}, if_match="2")

    assert weak.status_code == 200 and bare.status_code == 200 and bare.json()["version"] == 3


def test_patch_that_breaks_a_rule_is_422_naming_the_field_and_changes_nothing(client, session):
    headers = desk(session)
    article = create(client, headers, title="Intact")

    response = patch(client, headers, article, {"title": "", "body": [{"type": "heading", "text": "x", "level": 9}]})

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"title", "body[0].level"}
    current = client.get(f"/v1/articles/{article['id']}", headers=headers).json()
    assert current["title"] == "Intact" and current["version"] == 1


def test_patch_refuses_other_media_types_and_non_objects(client, session):
    headers = desk(session)
    article = create(client, headers)
    url, match = f"/v1/articles/{article['id']}", {"If-Match": '"1"'}

    text = client.patch(url, content=b"title=x", headers={**headers, **match, "Content-Type": "text/plain"})
    array = client.patch(url, json=["title"], headers={**headers, **match})

    assert text.status_code == 415 and array.status_code == 422


def test_changing_the_slug_keeps_the_old_one_redirecting(client, session):
    headers = desk(session)
    article = create(client, headers, title="Ancien titre", status="published")

    renamed = patch(client, headers, article, {"slug": "nouveau-titre"}).json()

    old = client.get("/v1/articles/slug/ancien-titre", follow_redirects=False)
    assert renamed["slug"] == "nouveau-titre"
    assert old.status_code == 301 and old.headers["location"].endswith("/v1/articles/slug/nouveau-titre")
    assert client.get("/v1/articles/slug/nouveau-titre").json()["id"] == article["id"]


def test_a_slug_held_by_another_article_is_409_even_an_old_one(client, session):
    headers = desk(session)
    other = create(client, headers, title="Autre")
    patch(client, headers, other, {"slug": "autre-renomme"})
    article = create(client, headers, title="Celui-ci")

    current = patch(client, headers, article, {"slug": "autre-renomme"})
    old = patch(client, headers, article, {"slug": "autre"})

    assert current.status_code == 409 and current.json()["errors"][0]["field"] == "slug"
    assert old.status_code == 409


def test_an_article_may_take_back_its_own_old_slug(client, session):
    headers = desk(session)
    article = create(client, headers, title="Premier nom")
    article = patch(client, headers, article, {"slug": "second-nom"}).json()

    back = patch(client, headers, article, {"slug": "premier-nom"})

    assert back.status_code == 200 and back.json()["slug"] == "premier-nom"
    assert client.get("/v1/articles/slug/second-nom", headers=headers, follow_redirects=False).status_code == 301


def test_html_blocks_are_sanitised_so_no_script_style_or_handler_survives(client, session):
    headers = desk(session)
    markup = (
        '<p onclick="steal()">Texte <b>gras</b><script>alert(1)</script></p><style>p{}</style>'
        '<a href="javascript:alert(2)">lien</a><img src=x onerror="alert(3)">'
    )

    article = create(client, headers, body=[{"type": "html", "html": markup}])

    html = article["body_html"] + article["body"][0]["html"]
    for bad in ("<script", "alert(1)", "<style", "onclick", "onerror", "javascript:", "<img"):
        assert bad not in html
    assert "<b>gras</b>" in article["body_html"]


def test_markup_in_text_fields_comes_out_escaped(client, session):
    headers = desk(session)

    article = create(
        client,
        headers,
        body=[
            {"type": "paragraph", "text": "<script>alert(1)</script>"},
            {"type": "heading", "text": "<b onclick=x>T</b>"},
        ],
    )

    assert "<script" not in article["body_html"] and "&lt;script&gt;" in article["body_html"]
    assert "<b " not in article["body_html"]


def test_quotes_stand_in_the_body_with_speakers_by_slug_or_created_once(client, session):
    make_person(session, "john-kerry", name="John Kerry")
    headers = desk(session)

    article = create(
        client,
        headers,
        quotes=[
            {"text": "Un terrain d'entente.", "speaker": "john-kerry", "speaker_role": "secrétaire d'État"},
            {"text": "Première phrase.", "speaker": {"name": "Peter Cook"}, "source": {"name": "Le Figaro"}},
            {"text": "Seconde phrase.", "speaker": {"name": "Peter Cook"}, "source": "le-figaro"},
        ],
        body=[{"type": "paragraph", "text": "Il a dit :"}, {"type": "quote", "quote": 0}],
    )

    quotes = article["quotes"]
    assert [q["speaker"]["slug"] for q in quotes] == ["john-kerry", "peter-cook", "peter-cook"]
    assert article["body"][1] == {"type": "quote", "quote_id": quotes[0]["id"]}
    assert "<blockquote><p>Un terrain d&#x27;entente.</p>" in article["body_html"]
    # Made inline by a draft: a keyed reader sees them (the public does once it is published).
    people = client.get("/v1/people", params={"q": "Peter Cook"}, headers=headers).json()["data"]
    sources = client.get("/v1/sources", params={"q": "Le Figaro"}, headers=headers).json()["data"]
    assert len(people) == 1 and len(sources) == 1


def test_patch_keeps_quotes_and_their_ids(client, session):
    headers = desk(session)
    article = create(
        client,
        headers,
        quotes=[{"text": "Mot.", "speaker": {"name": "Maria Zakharova"}}],
        body=[{"type": "quote", "quote": 0}],
    )

    changed = patch(client, headers, article, {"title": "Nouveau titre"}).json()

    assert [q["id"] for q in changed["quotes"]] == [q["id"] for q in article["quotes"]]
    assert changed["body"] == article["body"]


def test_a_patch_of_one_field_leaves_everything_else_as_it_was(client, session):
    make_category(session, "monde", name="Monde")
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "la-redaction", name="La rédaction")
    make_source(session, "le-figaro", name="Le Figaro")
    headers = desk(session)
    article = create(
        client,
        headers,
        category="monde",
        tags=["syrie"],
        authors=["la-redaction"],
        image={"url": "https://img.example.org/a.jpg", "credit_source": "le-figaro"},
        attributions=[{"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro"}],
        quotes=[{"text": "Mot.", "speaker": {"name": "Maria Zakharova"}}],
        body=[{"type": "quote", "quote": 0}],
    )

    changed = patch(client, headers, article, {"kicker": "Premier contact"}).json()

    assert changed["kicker"] == "Premier contact" and changed["version"] == article["version"] + 1
    for field in ("category", "categories", "tags", "authors", "image", "attributions", "quotes", "body", "body_html"):
        assert changed[field] == article[field], field
    revisions = [
        client.get(f"/v1/articles/{article['id']}/revisions/{n}", headers=headers).json()["snapshot"]
        for n in (article["version"], changed["version"])
    ]
    assert revisions[1] == {**revisions[0], "kicker": "Premier contact"}


def test_a_patch_writes_the_article_row_with_what_changed_and_readers_see_it_at_once(client, session):
    make_person(session, "maria-zakharova", name="Maria Zakharova")
    headers = desk(session)
    article = create(
        client,
        headers,
        status="published",
        title="Un titre",
        kicker="Avant",
        quotes=[{"text": "Mot.", "speaker": "maria-zakharova"}],
        body=[{"type": "quote", "quote": 0}],
    )
    assert client.get(f"/v1/articles/{article['id']}").json()["kicker"] == "Avant"  # now in the response cache

    with statements() as sent:
        changed = patch(client, headers, article, {"kicker": "Après", "standfirst": "Le chapeau."})

    assert changed.status_code == 200, changed.text
    updates = [" ".join(s.split()) for s in sent if s.lstrip().upper().startswith("UPDATE ARTICLE ")]
    assert len(updates) == 1, updates  # the new version and what changed, in one statement
    assert all(f"{column}=" in updates[0] for column in ("version", "updated_at", "kicker", "standfirst"))
    assert not any(f"{column}=" in updates[0] for column in ("title", "body_html", "language"))
    read = client.get(f"/v1/articles/{article['id']}").json()
    assert (read["kicker"], read["standfirst"], read["version"]) == ("Après", "Le chapeau.", article["version"] + 1)
    revision = client.get(f"/v1/articles/{article['id']}/revisions/{read['version']}", headers=headers).json()
    assert revision["snapshot"]["kicker"] == "Après"


def test_a_write_runs_on_the_event_loop_once_nothing_but_the_database_can_make_it_wait(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", title="Un titre")

    with statement_threads() as sent:
        changed = patch(client, headers, article, {"kicker": "Après"})

    assert changed.status_code == 200, changed.text
    written = {
        thread
        for statement, thread in sent
        if statement.lstrip().upper().startswith(("UPDATE ARTICLE ", "INSERT INTO ARTICLE_REVISION "))
    }
    # anyio's threadpool runs sync endpoints; these run on the server's event loop instead
    # (app/store/sessions.py, LoopWrites), on SQLite once a thread has taken the write lock (its BEGIN).
    assert len(written) == 1 and not written.pop().startswith("AnyIO worker"), sent
    assert client.get(f"/v1/articles/{article['id']}").json()["kicker"] == "Après"


def test_a_patch_rewrites_what_it_names_and_renders_speakers_as_they_are_now(client, session):
    make_tag(session, "syrie", name="Syrie")
    make_tag(session, "russie", name="Russie")
    headers = desk(session)
    article = create(
        client,
        headers,
        tags=["syrie"],
        language="fr",
        quotes=[{"text": "Mot.", "speaker": {"name": "Maria Zakharova"}}],
        body=[{"type": "quote", "quote": 0}],
    )
    person = client.get("/v1/people/maria-zakharova", headers=headers)  # a draft's: keyed
    renamed = client.patch(
        "/v1/people/maria-zakharova",
        json={"name": "Maria V. Zakharova"},
        headers={**headers, "If-Match": f'"{person.json()["version"]}"'},
    )
    assert renamed.status_code == 200, renamed.text

    changed = patch(client, headers, article, {"tags": ["russie"], "language": "en"}).json()

    assert [t["slug"] for t in changed["tags"]] == ["russie"]
    assert changed["quotes"][0]["id"] == article["quotes"][0]["id"]
    assert changed["language"] == "en" and changed["quotes"][0]["language"] == "fr"  # its own, kept
    assert "Maria V. Zakharova" in changed["body_html"]


def test_a_write_that_fails_leaves_nothing_half_written(client, session):
    headers = desk(session)

    response = client.post(
        "/v1/articles",
        headers=headers,
        json={
            "title": "Raté",
            "quotes": [{"text": "Mot.", "speaker": {"name": "Personne Nouvelle"}}],
            "body": [{"type": "quote", "quote": 3}],
        },
    )

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body[0].quote"
    assert client.get("/v1/people", params={"q": "Personne Nouvelle"}, headers=headers).json()["data"] == []
    assert client.get("/v1/articles", params={"status": "all"}, headers=headers).json()["data"] == []


def test_comments_policy_is_set_per_article_in_create_and_patch(client, session):
    headers = desk(session)
    article = create(client, headers, comments={"enabled": False, "reason": "Sujet sensible"})

    reopened = patch(client, headers, article, {"comments": {"enabled": True, "reason": None}}).json()

    assert article["comments"] == {"enabled": False, "scope": "article", "reason": "Sujet sensible"}
    assert reopened["comments"] == {"enabled": True, "scope": "article", "reason": None}


def test_the_site_wide_switch_overrides_every_article(client, session):
    headers, admin = desk(session), desk(session, "admin", name="admin")
    article = create(client, headers, status="published")
    reason = "En raison de débordements, nous avons fait le choix de suspendre les commentaires."

    put = client.put("/v1/settings/comments", json={"enabled": False, "reason": reason}, headers=admin)

    assert put.status_code == 200 and put.json()["enabled"] is False
    shown = client.get(f"/v1/articles/{article['id']}").json()["comments"]
    listed = client.get("/v1/articles").json()["data"][0]["comments"]
    assert shown == listed == {"enabled": False, "scope": "site", "reason": reason}


def test_the_site_wide_switch_needs_an_admin_key(client, session):
    headers = desk(session)

    assert client.put("/v1/settings/comments", json={"enabled": False}).status_code == 401
    assert client.put("/v1/settings/comments", json={"enabled": False}, headers=headers).status_code == 403
