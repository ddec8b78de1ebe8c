"""The background job that applies every time an article carries when the clock passes it:
publishing at `publish_at`, lifting an embargo at `embargoed_until`, expiring at `expires_at`
(`lifecycle.TRANSITIONS`), and publishing a pending version at its `publish_at`
(app/articles/pending.py). One job, one clock (app/store/clock.py).

It runs in every process that runs jobs (`gazette serve`, `gazette worker`): each transition
is applied in its own transaction, so one that fails is retried next round and never holds
up the others; one missed while no server was running is applied at the next start, its
change in the feed carrying both the time it was applied (`at`) and the time it was due
(`due_at`). Visibility does not wait for the job: `Article.is_public` compares expiry and
embargo with the clock itself, so the job records what the clock already decided (the change,
the webhook, the purge, the revision, the search index and the stored document).
"""

import logging

from sqlmodel import Session

from app.articles import lifecycle, pending
from app.store.engine import get_engine
from app.store.models.common import to_utc, utcnow
from app.store.sessions import write_session

log = logging.getLogger("gazette.scheduler")


def apply_due() -> int:
    """One round: apply every transition that is due; returns how many were applied."""
    now = utcnow()
    with Session(get_engine()) as session:
        due = lifecycle.due(session, now=now)
    with Session(get_engine()) as session:
        staged = pending.due(session, now=now)
    applied = 0
    for article_id in staged:
        with write_session() as session:
            try:
                if pending.apply_if_due(session, article_id, now=now):
                    session.commit()
                    applied += 1
            except Exception:
                session.rollback()
                log.exception("could not publish the pending version of article %s", article_id)
    for name, article_id in due:
        with write_session() as session:
            try:
                if lifecycle.apply_if_due(session, name, article_id, now=now):
                    session.commit()
                    applied += 1
            except Exception:
                session.rollback()
                log.exception("could not %s article %s", name, article_id)
    return applied


def due_in() -> float | None:
    """Seconds until the next scheduled article is due, so that its lane wakes on time."""
    with Session(get_engine()) as session:
        times = [lifecycle.next_due(session), pending.next_due(session)]
    at = min((to_utc(t) for t in times if t is not None), default=None)
    return None if at is None else (at - utcnow()).total_seconds()
