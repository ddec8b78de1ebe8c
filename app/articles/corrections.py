"""Correction notices: a correction, a clarification or an update appended to a published article.

Notices are append-only. None is ever edited or removed through the API: a notice that was
itself wrong is withdrawn by another notice that says so, as a newspaper prints a correction
of a correction. Each one is a write of the article like any other, in one transaction:
a new version (`If-Match` required) with its revision, `updated_at` moved to the notice's time,
and `after_write` (the change feed's `upsert`, the `article.corrected` webhook, the purge of
every cached page that shows the article, its stored document rebuilt at the commit).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.articles import queries, reads, revisions, view, writes
from app.articles.schemas import CorrectionIn
from app.changes import feed
from app.http import etags
from app.http.problems import Conflict, NotFound, ValidationFailed
from app.kit import writes as write_support
from app.store.models import Article, ArticleCorrection
from app.store.models.common import to_utc, utcnow
from app.store.models.key import ApiKey

EVENT = "article.corrected"


def add(
    session: Session, article_id: str, data: CorrectionIn, *, if_match: str | None, key: ApiKey | None
) -> tuple[Article, dict[str, Any]]:
    """Append a notice to the article: the article (its new version) and the notice as the
    API shows it. 428 without If-Match, 412 when stale; 409 for an article never published
    (a draft is simply edited) or deleted."""
    article = queries.held(session, article_id)
    if article is None:
        raise NotFound(f"No article with id {article_id!r}.")
    expected = etags.expected_version(if_match, article.version)
    if article.deleted_at is not None:
        raise Conflict("This article is deleted: restore it first (POST …/restore).")
    if article.published_at is None:
        raise Conflict(
            "Correction notices are for articles that have been published: edit the draft instead.",
            errors=[{"field": "article_id", "message": "never published"}],
        )
    was_public, was_embargoed = article.is_public, article.is_embargoed
    # The article's new version, its `updated_at` the notice's time: 412 for a writer that got
    # in with the same version meanwhile.
    write_support.bump(session, article, expected, {})
    notice = ArticleCorrection(article_id=article.id, kind=data.kind, text=data.text, created_at=article.updated_at)
    session.add(notice)
    session.flush()
    revisions.record(session, article, key=key)
    writes.after_write(session, article, was_public=was_public, event=EVENT if was_public else None)
    if was_embargoed and article.is_embargoed:
        # Withheld from the public: the event alone, for the embargo partners who have it.
        feed.announce(session, resource_type="article", resource_id=article.id, event=EVENT)
    return article, represent(notice)


def published_with(session: Session, article: Article, correction: dict[str, Any]) -> None:
    """The notice a pending version was published with (app/articles/pending.py), part of that
    same write: no version, revision, change or webhook of its own; its time is the write's."""
    data = CorrectionIn.model_validate(correction)
    session.add(ArticleCorrection(article_id=article.id, kind=data.kind, text=data.text, created_at=article.updated_at))
    session.flush()


def represent(notice: ArticleCorrection) -> dict[str, Any]:
    return view.correction(notice.id, notice.kind, notice.text, notice.created_at)


def list_for(session: Session, article_id: str, *, private: bool, embargoed: bool) -> list[dict[str, Any]]:
    """The notices of an article the caller may read (404, or 410 once expired, otherwise),
    oldest first."""
    reads.get(session, article_id, private=private, embargoed=embargoed)
    return view.load_corrections(session, [article_id]).get(article_id, [])


def get(session: Session, article_id: str, notice_id: str, *, private: bool, embargoed: bool) -> dict[str, Any]:
    """One notice of an article the caller may read."""
    for notice in list_for(session, article_id, private=private, embargoed=embargoed):
        if notice["id"] == notice_id:
            return notice
    raise NotFound(f"Article {article_id!r} has no correction notice {notice_id!r}.")


# -- export and import ------------------------------------------------------------------------


def exported(session: Session, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The notices of these articles as an export writes them: with their ids, and their times
    at full precision (an import keeps both), by article, oldest first."""
    stmt = (
        select(ArticleCorrection)
        .where(col(ArticleCorrection.article_id).in_(ids))
        .order_by(col(ArticleCorrection.article_id), col(ArticleCorrection.created_at), col(ArticleCorrection.id))
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for notice in session.scalars(stmt):
        out.setdefault(notice.article_id, []).append(
            {
                "id": notice.id,
                "kind": str(notice.kind),
                "text": notice.text,
                "created_at": to_utc(notice.created_at).isoformat().replace("+00:00", "Z"),
            }
        )
    return out


def imported(session: Session, article: Article, notices: Iterable[Any], *, updated_at: datetime | None) -> int:
    """Append the notices an import line gives that the article does not hold yet (matched by
    id), with their ids and times; append-only, so a notice the line leaves out stays. Each must
    come after the article's publication, not be in the future, and not come after the
    line's `updated_at`, which a notice moves (422 naming it). Returns how many were added."""
    held = dict(
        session.execute(
            select(col(ArticleCorrection.id), col(ArticleCorrection.article_id)).where(
                col(ArticleCorrection.id).in_([n.id for n in notices])
            )
        ).all()
    )
    added = 0
    now = utcnow()
    for index, notice in enumerate(notices):
        field = f"corrections[{index}]"
        owner = held.get(notice.id)
        if owner == article.id:
            continue
        if owner is not None:
            raise Conflict(
                f"The correction id {notice.id!r} belongs to another article.",
                errors=[{"field": f"{field}.id", "message": "taken by another article"}],
            )
        at = to_utc(notice.created_at)
        wrong = (
            "in the future"
            if at > now
            else "before the article was published"
            if article.published_at is None or at < to_utc(article.published_at)
            else "after updated_at"
            if updated_at is not None and at > to_utc(updated_at)
            else None
        )
        if wrong:
            raise ValidationFailed(
                f"A correction notice is dated {wrong}.",
                errors=[{"field": f"{field}.created_at", "message": wrong}],
            )
        session.add(
            ArticleCorrection(id=notice.id, article_id=article.id, kind=notice.kind, text=notice.text, created_at=at)
        )
        added += 1
    if added:
        session.flush()
    return added
