"""The demo content: loaded by `gazette demo`, shaped like the seed page."""

import subprocess
import sys


def _load_demo() -> None:
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], check=True, capture_output=True)


def test_demo_serves_the_seed_shaped_article(client, database_url):
    _load_demo()

    response = client.get("/v1/articles", params={"category": "international", "include": "quotes,attributions"})
    seed = next(
        a
        for a in response.json()["data"]
        if a["slug"] == "moscou-et-washington-ouvrent-des-discussions-militaires-sur-la-syrie"
    )

    assert seed["kicker"] and seed["standfirst"] and seed["language"] == "fr"
    assert seed["category"]["slug"] == "international"
    assert len({q["speaker"]["slug"] for q in seed["quotes"]}) == 3
    assert all(q["speaker_role"] for q in seed["quotes"])
    assert seed["image"]["credit"] == "Reuters" and seed["image"]["credit_source"]["slug"] == "reuters"
    read_on = [a for a in seed["attributions"] if a["role"] == "read_on"]
    assert read_on and read_on[0]["source"]["slug"] == "le-figaro" and read_on[0]["url"].startswith("https://")
    assert seed["comments"]["enabled"] is False and seed["comments"]["scope"] == "site"
    assert seed["comments"]["reason"]


def test_demo_has_french_and_english_and_hides_its_draft(client, database_url):
    _load_demo()

    fr = client.get("/v1/articles", params={"lang": "fr", "count": "true"}).json()["meta"]["total"]
    en = client.get("/v1/articles", params={"lang": "en", "count": "true"}).json()["meta"]["total"]
    everything = client.get("/v1/articles", params={"count": "true", "limit": 100}).json()

    assert fr >= 6 and en >= 4 and fr + en == everything["meta"]["total"] >= 12
    assert all(a["status"] == "published" for a in everything["data"])


def test_loading_the_demo_twice_adds_nothing(client, database_url):
    _load_demo()
    before = client.get("/v1/articles", params={"count": "true"}).json()["meta"]["total"]
    _load_demo()

    assert client.get("/v1/articles", params={"count": "true"}).json()["meta"]["total"] == before


def test_the_demo_bookshop_story_has_an_english_translation(client, database_url):
    _load_demo()

    french = client.get("/v1/articles/slug/a-nantes-une-librairie-de-quartier-fete-ses-cent-ans").json()
    english = client.get("/v1/articles/slug/in-nantes-a-neighbourhood-bookshop-turns-one-hundred").json()

    assert [(t["language"], t["id"], t["original"]) for t in french["translations"]] == [("en", english["id"], False)]
    assert english["translation_of"] == french["id"] and english["language"] == "en"
