"""The demo's corrected articles say so: a notice each, dated after publication, when the
article was last changed, in every shape of the article."""

import subprocess
import sys
from datetime import datetime


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_the_demo_articles_changed_after_publication_carry_their_notice(client, database_url):
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], check=True, capture_output=True)

    listed = client.get("/v1/articles", params={"include": "corrections", "limit": 100}).json()["data"]
    noted = [a for a in listed if a["corrections"]]

    assert 1 <= len(noted) <= 2, [a["slug"] for a in noted]
    assert {n["kind"] for a in noted for n in a["corrections"]} <= {"correction", "clarification", "update"}
    for article in noted:
        created, published, updated = (_at(article[k]) for k in ("created_at", "published_at", "updated_at"))
        times = [_at(n["created_at"]) for n in article["corrections"]]
        assert created <= published < times[0] and times == sorted(times) and times[-1] == updated, article["slug"]
        ld = client.get(f"/v1/articles/{article['id']}", params={"format": "jsonld"}).json()
        assert [c["text"] for c in ld["correction"]] == [n["text"] for n in article["corrections"]]
        listed_notices = client.get(f"/v1/articles/{article['id']}/corrections").json()["data"]
        assert listed_notices == article["corrections"]
    # Loading the demo again changes nothing: the notices are matched by their ids.
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], check=True, capture_output=True)
    again = client.get("/v1/articles", params={"include": "corrections", "limit": 100}).json()["data"]
    assert [a["corrections"] for a in again if a["corrections"]] == [a["corrections"] for a in noted]
