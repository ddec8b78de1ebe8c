"""A quote a live blog's update shows cannot go from under it: deleting it, dropping it from
the article's quotes, or moving it to another article is a 409 naming the field and the
update(s), as for the article's own body; once the block is taken out, it goes."""

import pytest

from tests.support.editorial import create, desk, patch

MERGE = {"Content-Type": "application/merge-patch+json"}
QUOTES = [
    {"text": "Nous avons gagné.", "speaker": {"name": "Jeanne Martin"}},
    {"text": "Rien n'est joué.", "speaker": {"name": "Paul Durand"}},
]


@pytest.fixture
def headers(session) -> dict[str, str]:
    return desk(session)


def _blog(client, headers) -> dict:
    return create(client, headers, title="En direct", status="published", live={}, quotes=QUOTES)


def _quoting(client, headers, blog: dict, quote_id: str, text: str = "Réaction :") -> dict:
    response = client.post(
        f"/v1/articles/{blog['id']}/updates",
        json={"body": [{"type": "paragraph", "text": text}, {"type": "quote", "quote_id": quote_id}]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_deleting_a_quote_an_update_shows_is_409_naming_the_updates(client, headers):
    blog = _blog(client, headers)
    quote_id = blog["quotes"][0]["id"]
    first = _quoting(client, headers, blog, quote_id)
    second = _quoting(client, headers, blog, quote_id, "Encore :")

    response = client.delete(f"/v1/quotes/{quote_id}", headers={**headers, "If-Match": "*"})

    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["updates"] == sorted([first["id"], second["id"]])
    assert {e["field"] for e in problem["errors"]} == {"id"}
    assert sorted(e["message"] for e in problem["errors"]) == sorted(
        f"shown by update {u['id']} in body[1]" for u in (first, second)
    )
    assert client.get(f"/v1/quotes/{quote_id}").status_code == 200
    shown = client.get(f"/v1/articles/{blog['id']}/updates/{first['id']}").json()
    assert "Nous avons gagné." in shown["body_html"]


def test_a_quote_no_update_shows_is_deleted_and_one_taken_out_of_the_update_then_is(client, headers):
    blog = _blog(client, headers)
    shown_id, other_id = blog["quotes"][0]["id"], blog["quotes"][1]["id"]
    update = _quoting(client, headers, blog, shown_id)

    assert client.delete(f"/v1/quotes/{other_id}", headers={**headers, "If-Match": "*"}).status_code == 204

    path = f"/v1/articles/{blog['id']}/updates/{update['id']}"
    taken_out = client.patch(
        path,
        json={"body": [{"type": "paragraph", "text": "Sans citation."}]},
        headers={**headers, **MERGE, "If-Match": '"1"'},
    )
    assert taken_out.status_code == 200, taken_out.text
    assert client.delete(f"/v1/quotes/{shown_id}", headers={**headers, "If-Match": "*"}).status_code == 204


def test_dropping_a_quote_from_the_article_an_update_shows_is_409_naming_quotes(client, headers):
    blog = _blog(client, headers)
    kept, dropped = blog["quotes"]
    update = _quoting(client, headers, blog, dropped["id"])

    response = patch(client, headers, blog, {"quotes": [{"id": kept["id"], **QUOTES[0]}]})

    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["errors"] == [{"field": "quotes", "message": f"shown by update {update['id']} in body[1]"}]
    assert problem["updates"] == [update["id"]]
    after = client.get(f"/v1/articles/{blog['id']}").json()
    assert after["version"] == blog["version"] and len(after["quotes"]) == 2

    # Keeping the shown quote (the other one goes) is fine.
    assert patch(client, headers, blog, {"quotes": [{"id": dropped["id"], **QUOTES[1]}]}).status_code == 200


def test_moving_a_quote_an_update_shows_to_another_article_is_409_naming_article(client, headers):
    blog = _blog(client, headers)
    other = create(client, headers, title="Un autre article")
    quote_id = blog["quotes"][0]["id"]
    update = _quoting(client, headers, blog, quote_id)

    response = client.patch(
        f"/v1/quotes/{quote_id}", json={"article": other["id"]}, headers={**headers, **MERGE, "If-Match": "*"}
    )

    assert response.status_code == 409, response.text
    assert response.json()["errors"] == [{"field": "article", "message": f"shown by update {update['id']} in body[1]"}]
    assert client.get(f"/v1/quotes/{quote_id}").json()["article"]["id"] == blog["id"]


def test_deleting_a_quote_the_articles_body_shows_names_the_field_too(client, headers):
    quote = {"text": "Nous avons gagné.", "speaker": {"name": "Jeanne Martin"}}
    article = create(client, headers, quotes=[quote], body=[{"type": "quote", "quote": 0}])

    response = client.delete(f"/v1/quotes/{article['quotes'][0]['id']}", headers={**headers, "If-Match": "*"})

    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "id", "message": f"shown by article {article['id']} in body[0]"}]
