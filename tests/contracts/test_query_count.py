"""The cold path: a page of articles costs a fixed number of SQL statements whatever its size."""

from tests.support.factories import bearer, make_article, make_key, make_person, make_source
from tests.support.statements import statements


def test_a_page_costs_the_same_number_of_queries_at_any_size(client, session):
    make_person(session, "john-kerry")
    make_source(session, "le-figaro")
    writer = bearer(make_key(session, "content:write"))
    for n in range(12):
        article = make_article(
            session,
            quotes=[
                {"text": f"Phrase {n}.", "speaker": "john-kerry"},
                {"text": "Et une autre.", "speaker": "john-kerry"},
            ],
            attributions=[{"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro"}],
        )
        for text in ("Correction.", "Mise à jour.")[: n % 3]:  # none, one or two notices
            added = client.post(
                f"/v1/articles/{article.id}/corrections",
                json={"kind": "update", "text": text},
                headers={**writer, "If-Match": "*"},
            )
            assert added.status_code == 201
    include = {"include": "quotes,attributions,corrections"}

    with statements() as small:
        page = client.get("/v1/articles", params={"limit": 5, **include})
    with statements() as large:
        everything = client.get("/v1/articles", params={"limit": 100, **include})

    assert len(page.json()["data"]) == 5 and len(everything.json()["data"]) == 12
    assert everything.json()["data"][0]["quotes"] and everything.json()["data"][0]["attributions"]
    assert {len(a["corrections"]) for a in everything.json()["data"]} == {0, 1, 2}
    assert 0 < len(small) == len(large)


def test_a_page_of_a_live_blogs_updates_costs_the_same_at_any_size(client, session):
    from app.articles.live import writes as live_writes
    from app.articles.schemas import UpdateCreate
    from tests.support.factories import make_author, make_source

    authors = [make_author(session, f"auteur-{n}") for n in range(3)]
    sources = [make_source(session, f"source-{n}") for n in range(2)]
    blog = make_article(session, live={})
    for n in range(12):
        live_writes.create(
            session,
            blog.id,
            UpdateCreate.model_validate(
                {
                    "body": [{"type": "paragraph", "text": f"Point {n}."}],
                    "author": authors[n % 3].slug,
                    "attributions": [{"source": s.slug, "role": "wire"} for s in sources[: n % 3]],
                }
            ),
        )
        session.commit()

    with statements() as small:
        page = client.get(f"/v1/articles/{blog.id}/updates", params={"limit": 5})
    with statements() as large:
        everything = client.get(f"/v1/articles/{blog.id}/updates", params={"limit": 100})

    assert len(page.json()["data"]) == 5 and len(everything.json()["data"]) == 12
    assert {u["author"]["slug"] for u in everything.json()["data"]} == {a.slug for a in authors}
    assert {len(u["attributions"]) for u in everything.json()["data"]} == {0, 1, 2}
    assert 0 < len(small) == len(large)
