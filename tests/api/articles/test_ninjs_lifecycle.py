"""ninjs 3.1 through an article's life: `pubStatus`, `embargoedUntil`, `expires` and the
correction notices, each answer valid under IPTC's schema."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import app.articles
from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, publish
from tests.support.factories import bearer, make_key

SCHEMA = json.loads(Path(app.articles.__file__).with_name("ninjs-schema_3.1.json").read_text())  # IPTC's, CC BY 4.0
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _ninjs(client, article_id: str, headers: dict[str, str] | None = None) -> dict:
    response = client.get(f"/v1/articles/{article_id}", params={"format": "ninjs"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(body)] == []
    return body


@pytest.fixture
def headers(session) -> dict[str, str]:
    return desk(session)


def test_a_plain_article_is_usable_with_no_embargo_or_expiry(client, headers):
    article = create(client, headers, status="published")

    ninjs = _ninjs(client, article["id"])

    assert ninjs["pubStatus"] == "usable"
    assert "embargoedUntil" not in ninjs and "expires" not in ninjs
    assert not [a for a in ninjs.get("associations", []) if a["rel"] in ("correction", "clarification", "update")]


def test_an_embargoed_article_is_withheld_until_its_time_for_an_embargo_key(client, session, headers):
    partner = bearer(make_key(session, "content:embargoed", name="partner"))
    article = create(client, headers)
    until = iso(utcnow() + timedelta(hours=1))
    publish(client, headers, article["id"], embargoed_until=until)

    ninjs = _ninjs(client, article["id"], partner)

    assert (ninjs["pubStatus"], ninjs["embargoedUntil"]) == ("withheld", until)
    clock.advance(timedelta(hours=1, seconds=1))
    lifted = _ninjs(client, article["id"])
    assert lifted["pubStatus"] == "usable" and "embargoedUntil" not in lifted


def test_an_expiring_article_says_until_when_and_is_canceled_after(client, headers):
    expires = iso(utcnow() + timedelta(hours=1))
    article = create(client, headers, status="published", expires_at=expires)

    ninjs = _ninjs(client, article["id"])

    assert (ninjs["pubStatus"], ninjs["expires"]) == ("usable", expires)
    clock.advance(timedelta(hours=2))
    assert client.get(f"/v1/articles/{article['id']}", params={"format": "ninjs"}).status_code == 410
    expired = _ninjs(client, article["id"], headers)
    assert (expired["pubStatus"], expired["expires"]) == ("canceled", expires)


def test_a_corrected_article_carries_each_notice_as_an_association(client, headers):
    article = create(client, headers, status="published")
    clock.advance(timedelta(hours=1))
    answer = client.post(
        f"/v1/articles/{article['id']}/corrections",
        json={"kind": "clarification", "text": "Le chiffre cité est annuel."},
        headers={**headers, "If-Match": f'"{article["version"]}"'},
    )
    notice = answer.json()

    ninjs = _ninjs(client, article["id"])

    [association] = [a for a in ninjs["associations"] if a["rel"] == "clarification"]
    assert association["uri"].endswith(f"/v1/articles/{article['id']}/corrections/{notice['id']}")
    assert association["bodies"] == [
        {"role": "main", "contentType": "text/plain", "value": "Le chiffre cité est annuel."}
    ]
    assert association["firstCreated"] == notice["created_at"] == ninjs["versionCreated"]
    assert ninjs["version"] == str(article["version"] + 1)


def test_drafts_are_withheld_and_articles_taken_down_are_canceled(client, headers):
    draft = create(client, headers)
    taken_down = create(client, headers, status="published")
    client.post(f"/v1/articles/{taken_down['id']}/unpublish", headers=headers)

    assert _ninjs(client, draft["id"], headers)["pubStatus"] == "withheld"
    assert _ninjs(client, taken_down["id"], headers)["pubStatus"] == "canceled"
