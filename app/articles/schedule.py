"""The background job that publishes scheduled articles when their time comes.

It runs in every process that runs jobs (`gazette serve`, `gazette worker`): each article
is published in its own transaction, so one that fails is retried next round and never
holds up the others; one missed while no server was running is published at the next start.
"""

import logging

from sqlmodel import Session

from app.articles import lifecycle
from app.store.engine import get_engine
from app.store.models.common import to_utc, utcnow
from app.store.sessions import write_session

log = logging.getLogger("gazette.scheduler")


def publish_scheduled() -> int:
    """One round: publish every scheduled article that is due; returns how many were."""
    now = utcnow()
    with Session(get_engine()) as session:
        due = lifecycle.due_ids(session, now=now)
    published = 0
    for article_id in due:
        with write_session() as session:
            try:
                if lifecycle.publish_if_due(session, article_id, now=now):
                    session.commit()
                    published += 1
            except Exception:
                session.rollback()
                log.exception("could not publish scheduled article %s", article_id)
    return published


def due_in() -> float | None:
    """Seconds until the next scheduled article is due, so that its lane wakes on time."""
    with Session(get_engine()) as session:
        at = lifecycle.next_due(session)
    return None if at is None else (to_utc(at) - utcnow()).total_seconds()
