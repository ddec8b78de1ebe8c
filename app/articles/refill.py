"""Filling in the stored documents (app/articles/documents.py): stale ones (every one after the
fingerprint changed: a new representation, another site URL) and missing ones, in the
background job, or all at once with `gazette documents rebuild`; and the start-up check that
decides which documents may be served."""

import logging
from collections.abc import Iterator

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app.articles.documents import BATCH, FILL_PER_ROUND, SETTING_KEY, _lock, fingerprint, refresh
from app.articles.queries import public
from app.http.problems import ServiceUnavailable
from app.store.models import Article, ArticleDocument, SiteSetting
from app.store.models.common import utcnow
from app.store.sessions import write_session

log = logging.getLogger("gazette.documents")

SAMPLE = 20  # documents rebuilt and compared when none of them was vouched for


def check(session: Session) -> bool:
    """At start-up: make sure no document built for another fingerprint (another version of
    the representation, another site URL) is served. True when it marked documents to be
    built again. The caller commits.

    - Built for this fingerprint: kept.
    - Built for another: marked stale (never served, rebuilt by the background job first).
    - Built with no fingerprint recorded (an import, a demo load, the bench generator, a copy
      of such a database: whatever wrote them never ran this check): the newest `SAMPLE` are
      built again and compared byte for byte; when every one is the same, the documents are
      this code's for this site, and kept (vouched for); else marked stale.
    The background job then also builds the documents of public articles that have none
    (after a migration that brought the table, say)."""
    setting = session.get(SiteSetting, SETTING_KEY)
    recorded = setting.value.get("fingerprint") if setting is not None else None
    if recorded == fingerprint():
        return False
    _lock(session)
    if recorded is None and _same_when_built_again(session):
        _save(session, setting, walk_after="")
        return False
    session.execute(update(ArticleDocument).values(stale=True))
    _save(session, setting, walk_after="")
    return True


def _same_when_built_again(session: Session) -> bool:
    """Whether the newest `SAMPLE` current documents come out the same when built now."""
    bodies = {
        article_id: bytes(body)
        for article_id, body in session.execute(
            select(col(ArticleDocument.article_id), col(ArticleDocument.body))
            .where(~col(ArticleDocument.stale))
            .order_by(col(ArticleDocument.article_id).desc())
            .limit(SAMPLE)
        )
    }
    if not bodies:
        return True
    refresh(session, bodies)
    again = session.execute(
        select(col(ArticleDocument.article_id), col(ArticleDocument.body)).where(
            col(ArticleDocument.article_id).in_(list(bodies))
        )
    )
    return {article_id: bytes(body) for article_id, body in again} == bodies


def _save(session: Session, setting: SiteSetting | None, *, walk_after: str | None) -> None:
    value = {"fingerprint": fingerprint(), "walk_after": walk_after}
    if setting is None:
        session.add(SiteSetting(key=SETTING_KEY, value=value, updated_at=utcnow()))
    else:
        setting.value, setting.updated_at = value, utcnow()
        session.add(setting)
    session.flush()


def fill(session: Session, *, limit: int = FILL_PER_ROUND) -> int:
    """Rebuild up to `limit` documents: stale ones first, then the next articles of a walk
    that `check` started. The caller commits. Returns how many were built."""
    _lock(session, shared=True)  # against marking; other builders skip the articles it holds
    stale = list(
        session.scalars(
            select(col(ArticleDocument.article_id))
            .where(col(ArticleDocument.stale))
            .order_by(col(ArticleDocument.article_id))
            .limit(limit)
        )
    )
    built = refresh(session, stale, skip_locked=True) if stale else 0
    setting = session.get(SiteSetting, SETTING_KEY)
    after = setting.value.get("walk_after") if setting is not None else None
    if after is None or len(stale) >= limit:
        return built
    has_one = exists().where(col(ArticleDocument.article_id) == Article.id)
    ids = list(
        session.scalars(
            select(col(Article.id))
            .where(public(), col(Article.id) > after, ~has_one)
            .order_by(col(Article.id))
            .limit(limit - len(stale))
        )
    )
    built += refresh(session, ids, skip_locked=True)
    _save(session, setting, walk_after=ids[-1] if len(ids) == limit - len(stale) else None)
    return built


def rebuild(session: Session) -> Iterator[int]:
    """Build every public article's document anew, a batch per transaction (the caller commits
    after each); yields how many each batch built."""
    _save(session, session.get(SiteSetting, SETTING_KEY), walk_after=None)
    session.execute(
        delete(ArticleDocument).where(col(ArticleDocument.article_id).not_in(select(col(Article.id)).where(public())))
    )
    last = ""
    while ids := list(
        session.scalars(
            select(col(Article.id)).where(public(), col(Article.id) > last).order_by(col(Article.id)).limit(BATCH)
        )
    ):
        yield refresh(session, ids)
        last = ids[-1]


def to_build(session: Session) -> int:
    """How many documents `rebuild` goes through (for a progress bar)."""
    return session.execute(select(func.count()).select_from(Article).where(public())).scalar_one()


STARTED = {"done": False}  # whether this process's start_up has run


def start_up() -> None:
    """`check`, in a transaction of its own: every process runs it as it starts (and /readyz
    again until it has, when the database was not there at start-up)."""
    with write_session() as session:
        marked = check(session)
        session.commit()
    if marked:
        log.warning(
            "stored documents were built for another site URL or representation: none is served until "
            "built again by the background job (a lone `gazette serve`, or `gazette worker`) or "
            "`gazette documents rebuild`"
        )
    STARTED["done"] = True


def ensure_started() -> None:
    """For /readyz: `start_up` if it has not run yet; a 503 while it cannot."""
    if STARTED["done"]:
        return
    try:
        start_up()
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(f"The start-up check of stored documents failed: {type(exc).__name__}.") from None


def fill_documents() -> int:
    """The background job: one round of `fill`, in its own transaction."""
    with write_session() as session:
        built = fill(session)
        session.commit()
    return built
