"""An article's picture carries its size in pixels: what a page needs to hold the picture's
place before it loads (examples/frontend sets `width` and `height` on the <img> from it)."""

import pytest

from tests.support.editorial import create, desk, patch

PICTURE = {"url": "https://images.example.org/a.jpg", "alt": "Un avion", "credit": "Reuters"}


def test_the_size_written_is_served_in_json_jsonld_and_ninjs(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", image={**PICTURE, "width": 1200, "height": 675})

    assert (article["image"]["width"], article["image"]["height"]) == (1200, 675)
    read = client.get(f"/v1/articles/{article['id']}").json()
    assert (read["image"]["width"], read["image"]["height"]) == (1200, 675)
    listed = client.get("/v1/articles").json()["data"][0]
    assert (listed["image"]["width"], listed["image"]["height"]) == (1200, 675)

    jsonld = client.get(f"/v1/articles/{article['id']}", params={"format": "jsonld"}).json()
    assert (jsonld["image"]["width"], jsonld["image"]["height"]) == (1200, 675)
    ninjs = client.get(f"/v1/articles/{article['id']}", params={"format": "ninjs"}).json()
    feature = next(a for a in ninjs["associations"] if a["rel"] == "featureimage")
    assert feature["renditions"] == [{"name": "original", "href": PICTURE["url"], "width": 1200, "height": 675}]


def test_a_picture_without_a_size_says_null_and_the_formats_leave_it_out(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", image=PICTURE)

    assert article["image"]["width"] is None and article["image"]["height"] is None
    jsonld = client.get(f"/v1/articles/{article['id']}", params={"format": "jsonld"}).json()
    assert "width" not in jsonld["image"] and "height" not in jsonld["image"]


def test_a_patch_changes_the_size_and_nulls_clear_it(client, session):
    headers = desk(session)
    article = create(client, headers, image={**PICTURE, "width": 1200, "height": 675})

    resized = patch(client, headers, article, {"image": {"width": 800, "height": 450}})
    assert resized.status_code == 200, resized.text
    assert (resized.json()["image"]["width"], resized.json()["image"]["height"]) == (800, 450)

    replaced = patch(
        client,
        headers,
        resized.json(),
        {"image": {"url": "https://images.example.org/b.jpg", "width": None, "height": None}},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["image"]["width"] is None and replaced.json()["image"]["height"] is None


@pytest.mark.parametrize(
    ("size", "field"),
    [
        ({"width": 1200}, "image.height"),
        ({"height": 675}, "image.height"),
        ({"width": 0, "height": 675}, "image.width"),
        ({"width": 1200, "height": -1}, "image.height"),
        ({"width": "large", "height": 675}, "image.width"),
    ],
)
def test_a_size_given_by_half_or_not_a_positive_number_is_a_422_naming_it(client, session, size, field):
    response = client.post(
        "/v1/articles", json={"title": "Un article", "image": {**PICTURE, **size}}, headers=desk(session)
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
