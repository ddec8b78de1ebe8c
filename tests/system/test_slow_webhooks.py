"""A slow webhook receiver does not hold scheduled publishing back: deliveries run in a lane of
their own, and the scheduling lane wakes when the next article is due."""

import time
from datetime import timedelta

import httpx

from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, publish
from tests.support.factories import bearer, make_article, make_key
from tests.support.processes import gazette_process
from tests.support.webhook_receiver import Receiver

ANSWER_SECONDS = 4.0  # each answer of the receiver
WAITING = 48  # deliveries queued before the server starts
LATE_AT_MOST = 1.5  # seconds after its time an article must be public (on a busy 2-core machine)


def test_a_scheduled_article_is_published_on_time_while_a_slow_receiver_takes_its_deliveries(
    client, session, database_url
):
    receiver = Receiver()
    receiver.delay = ANSWER_SECONDS
    receiver.start()
    admin = bearer(make_key(session, "admin"))
    headers = desk(session)
    try:
        assert (
            client.post("/v1/webhooks", json={"url": receiver.url, "events": ["*"]}, headers=admin).status_code == 201
        )
        for _ in range(WAITING):
            make_article(session)
        draft = create(client, headers, title="À l'heure")
        with gazette_process(
            database_url,
            GAZETTE_RUN_BACKGROUND_JOBS="true",
            GAZETTE_SCHEDULER_INTERVAL_SECONDS="1",
            GAZETTE_WEBHOOK_TIMEOUT_SECONDS="10",
        ) as url:
            deadline = time.monotonic() + 30
            while not receiver.requests and time.monotonic() < deadline:  # the deliveries are under way
                time.sleep(0.05)
            with httpx.Client(base_url=url, timeout=30) as server:
                due = (utcnow() + timedelta(seconds=3)).replace(microsecond=0)
                scheduled = publish(server, headers, draft["id"], at=iso(due))
                assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled", scheduled.text
                status = "scheduled"
                while status != "published" and utcnow() < due + timedelta(seconds=30):
                    time.sleep(0.05)
                    status = server.get(f"/v1/articles/{draft['id']}", headers=headers).json()["status"]
                seen = utcnow()
        late = (seen - due).total_seconds()
        print(f"published {late:.2f} s after its time")  # pytest -s shows it

        assert receiver.requests, "no delivery was under way"
        assert status == "published" and late <= LATE_AT_MOST, f"published {late:.1f} s after its time"
    finally:
        receiver.stop()
