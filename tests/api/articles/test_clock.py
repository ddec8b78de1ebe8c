"""One clock for every time an article carries: tests move it instead of sleeping.

Background jobs do not run by themselves in the tests (GAZETTE_RUN_BACKGROUND_JOBS=false):
moving the clock with no round run is a server that was down across the moment, and
`jobs.run_once()` is the round it runs when it comes back.
"""

from datetime import datetime, timedelta

from app.kit import jobs
from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, publish


def _in(minutes: float) -> str:
    return iso(utcnow() + timedelta(minutes=minutes))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _changes(client, article_id: str) -> list[dict]:
    return [c for c in client.get("/v1/changes").json()["data"] if c["id"] == article_id]


def test_a_server_down_across_its_transitions_applies_each_once_when_it_comes_back(client, session):
    headers = desk(session)
    scheduled = create(client, headers, title="Programmé")
    at = _in(10)
    publish(client, headers, scheduled["id"], at=at)
    expiring = create(client, headers, title="Éphémère", status="published", expires_at=_in(20))
    publish_due, expiry_due = _time(at), _time(expiring["expires_at"])

    clock.advance(timedelta(minutes=30))  # no round runs meanwhile: the server is down
    back = utcnow()
    jobs.run_once()
    jobs.run_once()  # a second round finds nothing left to do

    assert client.get(f"/v1/articles/{scheduled['id']}").status_code == 200
    assert client.get(f"/v1/articles/{expiring['id']}").status_code == 410
    published = _changes(client, scheduled["id"])
    assert [(c["op"], c["reason"]) for c in published] == [("upsert", None)]
    assert _time(published[0]["due_at"]) == publish_due
    assert _time(published[0]["at"]) >= back - timedelta(seconds=1)  # applied on return, not when due
    expired = _changes(client, expiring["id"])
    assert [(c["op"], c["reason"]) for c in expired] == [("upsert", None), ("delete", "expired")]
    assert _time(expired[1]["due_at"]) == expiry_due and _time(expired[1]["at"]) >= back - timedelta(seconds=1)


def test_the_scheduler_waits_for_the_clock_not_the_wall(client, session):
    headers = desk(session)
    article = create(client, headers)
    publish(client, headers, article["id"], at=_in(60))

    jobs.run_once()
    assert client.get(f"/v1/articles/{article['id']}").status_code == 404

    clock.advance(timedelta(minutes=61))
    jobs.run_once()
    assert client.get(f"/v1/articles/{article['id']}").status_code == 200


def test_the_revision_of_a_transition_is_signed_by_the_scheduler(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", expires_at=_in(5))

    clock.advance(timedelta(minutes=6))
    jobs.run_once()

    revisions = client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"]
    assert (revisions[0]["key_name"], revisions[0]["status"]) == ("scheduler", "expired")
