"""Filling in the stored documents (app/articles/documents.py): stale ones, and every one after
the fingerprint changed (a new representation, another site URL), in the background job, at
start-up, or all at once with `gazette documents rebuild`."""

from collections.abc import Iterator

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app.articles.documents import BATCH, FILL_PER_ROUND, SETTING_KEY, _lock, fingerprint, refresh
from app.articles.queries import public
from app.http.problems import ServiceUnavailable
from app.store.models import Article, ArticleDocument, SiteSetting
from app.store.models.common import utcnow
from app.store.sessions import write_session


def check(session: Session) -> bool:
    """At start-up: when the documents were built for another fingerprint (another version of
    the representation, another site URL, or none yet), drop them all and have the background
    job build them again. True when it did. The caller commits."""
    setting = session.get(SiteSetting, SETTING_KEY)
    if setting is not None and setting.value.get("fingerprint") == fingerprint():
        return False
    _lock(session)
    session.execute(delete(ArticleDocument))
    _save(session, setting, walk_after="")
    return True


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
    ids = list(
        session.scalars(
            select(col(Article.id))
            .where(public(), col(Article.id) > after)
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
        check(session)
        session.commit()
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
