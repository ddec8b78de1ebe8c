"""PostgreSQL going away under the server: pooled connections that were dropped meanwhile are
replaced, not handed to a request."""

import time

import psycopg
import pytest

from app.store import engine as db
from tests.support.editorial import create, desk, patch

IDLE = db.PING_AFTER_IDLE_SECONDS


def _drop_every_other_connection() -> int:
    """What a restart or a failover does to the server's pooled connections (and the tests'),
    from a connection of its own."""
    url = db.get_engine().url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


@pytest.mark.postgres
def test_connections_dropped_while_idle_are_replaced_before_a_request_uses_them(client, session):
    headers = desk(session)
    article = create(client, headers, status="published", title="Avant la coupure")
    assert client.get(f"/v1/articles/{article['id']}").status_code == 200
    session.commit()

    assert _drop_every_other_connection() > 0
    time.sleep(IDLE + 0.2)  # every pooled connection is checked before its next use

    changed = patch(client, headers, article, {"title": "Après la coupure"})
    assert changed.status_code == 200, changed.text
    listed = client.get("/v1/articles", params={"fields": "id,title"})
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"][0]["title"] == "Après la coupure"


@pytest.mark.postgres
def test_connections_dropped_under_requests_give_503s_to_retry_and_then_writes_go_through(client, session, monkeypatch):
    headers = desk(session)
    article = create(client, headers, status="published", title="Avant la coupure")
    session.commit()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 1e9)  # as while every connection is busy

    assert _drop_every_other_connection() > 0
    answers = [patch(client, headers, article, {"title": "Après la coupure"}) for _ in range(5)]

    statuses = [a.status_code for a in answers]
    assert 503 in statuses and 200 in statuses, statuses  # each pool fails once, then is replaced
    first_ok = statuses.index(200)
    for failed in answers[:first_ok]:
        assert failed.status_code == 503 and failed.headers["content-type"] == "application/problem+json"
        assert failed.headers["retry-after"] == "1" and "nothing was written" in failed.json()["detail"]
    assert answers[first_ok].json()["version"] == article["version"] + 1  # the 503s wrote nothing
    assert all(a.status_code == 412 for a in answers[first_ok + 1 :])  # the same If-Match, now stale
    # The pools' other dropped connections are checked before their next use from here on.
    time.sleep(IDLE + 0.2)
