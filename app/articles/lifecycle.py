"""An article's lifecycle: publish (now or at a time), unpublish, soft delete and restore,
restoring an old revision, and publishing what is due.

Every step is one new version with its revision and ends with after_write. Whatever makes
an article public or takes it down needs content:publish; other steps need content:write.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from app.articles import queries, revisions, shape, writes
from app.http import etags
from app.http.problems import Conflict, NotFound, ValidationFailed
from app.keys import service
from app.kit import writes as write_support
from app.store.engine import is_postgres
from app.store.models import Article, ArticleStatus
from app.store.models.common import to_utc, utcnow
from app.store.models.key import ApiKey, Scope


def _load(session: Session, article_id: str) -> Article:
    """The article a transition writes, its translation group's original held first (PostgreSQL:
    `queries.hold_group`, the order every write to a member takes them in)."""
    queries.hold_group(session, article_id)
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"No article with id {article_id!r}.")
    return article


def _expected(article: Article, if_match: str | None) -> int:
    """If-Match is optional here: when sent it must be current (412), when not, any version will do."""
    return article.version if if_match is None else etags.expected_version(if_match, article.version)


def _check_publish(key: ApiKey | None) -> None:
    if key is not None:
        service.check_scope(key, Scope.content_publish)


def _not_deleted(article: Article) -> None:
    if article.deleted_at is not None:
        raise Conflict("This article is deleted: restore it first (POST …/restore).")


def _change(
    session: Session,
    article: Article,
    expected: int,
    values: dict[str, Any],
    *,
    key: ApiKey | None,
    event: str | None,
    key_name: str | None = None,
) -> Article:
    """`values` written as one new version (412 if `expected` is no longer current), its revision, after_write."""
    was_public = article.is_public
    write_support.bump(session, article, expected, values)
    revisions.record(session, article, key=key, key_name=key_name)
    writes.after_write(session, article, was_public=was_public, event=event)
    return article


def publish(
    session: Session,
    article_id: str,
    *,
    at: datetime | None,
    if_match: str | None,
    key: ApiKey | None,
    expiry: dict[str, datetime | None] | None = None,
    embargo: dict[str, datetime | None] | None = None,
) -> Article:
    """Publish now, or schedule for `at` when it is in the future (status scheduled).
    `at` in the past publishes now with that date; a republished article keeps its first date.
    `expiry` ({"expires_at": …}, when the caller sent one): the article's new expiry, which
    must then be later than the time it goes public (422); an expired article is republished
    only with a new one (409 else)."""
    _check_publish(key)
    article = _load(session, article_id)
    expected = _expected(article, if_match)
    _not_deleted(article)
    if article.status == ArticleStatus.published:
        raise Conflict("This article is already published; unpublish it first to schedule it.")
    now = utcnow()
    when = to_utc(at) if at else None
    expires_at = article.expires_at
    if expiry is not None:
        expires_at = to_utc(expiry["expires_at"]) if expiry["expires_at"] else None
        if expires_at is not None and expires_at <= max(now, when or now):
            raise ValidationFailed(
                "The new expiry must come after the article goes public.",
                errors=[{"field": "expires_at", "message": "must be later than now (and than `at`)"}],
            )
    elif expires_at is not None and to_utc(expires_at) <= max(now, when or now):
        raise Conflict(
            "This article's expiry has passed: publish it with a new expires_at (or null for none).",
            errors=[{"field": "expires_at", "message": "has passed"}],
        )
    embargoed_until = article.embargoed_until
    if embargo is not None:
        embargoed_until = to_utc(embargo["embargoed_until"]) if embargo["embargoed_until"] else None
    if embargoed_until is not None and to_utc(embargoed_until) <= now:
        embargoed_until = None  # lifted already
    times = {"expires_at": expires_at, "embargoed_until": embargoed_until}
    if when is not None and when > now:
        values = {"status": ArticleStatus.scheduled, "publish_at": when, **times}
        return _change(session, article, expected, values, key=key, event=None)
    values = {
        "status": ArticleStatus.published,
        "publish_at": None,
        "published_at": when or article.published_at or now,
        **times,
    }
    event = "article.embargoed" if embargoed_until is not None else "article.published"
    return _change(session, article, expected, values, key=key, event=event)


def unpublish(session: Session, article_id: str, *, if_match: str | None, key: ApiKey | None) -> Article:
    """A published article goes down (unpublished); a scheduled one goes back to draft."""
    _check_publish(key)
    article = _load(session, article_id)
    expected = _expected(article, if_match)
    _not_deleted(article)
    values: dict[str, Any]
    if article.status in (ArticleStatus.published, ArticleStatus.expired):
        values = {"status": ArticleStatus.unpublished}
        event = "article.unpublished" if article.status == ArticleStatus.published else None
        return _change(session, article, expected, values, key=key, event=event)
    if article.status == ArticleStatus.scheduled:
        values = {"status": ArticleStatus.draft, "publish_at": None}
        return _change(session, article, expected, values, key=key, event=None)
    raise Conflict(f"This article is {article.status}: only a published or scheduled one can be unpublished.")


def delete(session: Session, article_id: str, *, if_match: str | None, key: ApiKey | None) -> Article:
    """Soft delete: the article leaves every public path; restore brings it back as it was."""
    article = _load(session, article_id)
    expected = etags.expected_version(if_match, article.version)
    _not_deleted(article)
    if article.is_public:
        _check_publish(key)
    return _change(session, article, expected, {"deleted_at": utcnow()}, key=key, event="article.deleted")


def restore(session: Session, article_id: str, *, if_match: str | None, key: ApiKey | None) -> Article:
    """Undo a delete: the article is back in the state it was deleted in (published: public again)."""
    article = _load(session, article_id)
    expected = _expected(article, if_match)
    if article.deleted_at is None:
        raise Conflict("This article is not deleted.")
    public = article.status == ArticleStatus.published
    if public:
        _check_publish(key)
    return _change(
        session, article, expected, {"deleted_at": None}, key=key, event="article.published" if public else None
    )


def restore_revision(
    session: Session, article_id: str, number: int, *, if_match: str | None, key: ApiKey | None
) -> Article:
    """The content of revision `number` (title, body, quotes, links…) as a new version.
    The slug and the lifecycle (its expiry and embargo too) stay as they are now: restoring
    text never moves a URL or publishes, unpublishes, reschedules or expires anything."""
    article = _load(session, article_id)
    _expected(article, if_match)
    _not_deleted(article)
    snapshot = revisions.get(session, article_id, number).snapshot
    current = shape.write_shape(session, article)
    kept = ("slug", "status", "published_at", "expires_at", "embargoed_until")
    document = {**snapshot, **{name: current[name] for name in kept}}
    data = writes.validated(document)
    return writes.replace(session, article, data, key=key, if_match=if_match)


@dataclass(frozen=True)
class Transition:
    """A change of state an article makes by itself when the clock passes one of its times.

    `state`: the condition (besides the time) of an article it applies to; `time`: the column
    holding the time (its name); `values`: what it writes, from the article; `event`: the webhook event."""

    name: str
    state: Callable[[], ColumnElement[bool]]
    time: str
    values: Callable[[Article], dict[str, Any]]
    event: str


TRANSITIONS = (
    Transition(
        "publish",
        lambda: col(Article.status) == ArticleStatus.scheduled,
        "publish_at",
        lambda a: {
            "status": ArticleStatus.published,
            "publish_at": None,
            "published_at": a.published_at or a.publish_at,
        },
        "article.published",
    ),
    Transition(
        "lift_embargo",
        lambda: col(Article.status) == ArticleStatus.published,
        "embargoed_until",
        lambda a: {"embargoed_until": None},
        "article.published",
    ),
    Transition(
        "expire",
        lambda: col(Article.status) == ArticleStatus.published,
        "expires_at",
        lambda a: {"status": ArticleStatus.expired},
        "article.expired",
    ),
)
BY_NAME = {t.name: t for t in TRANSITIONS}


def _due(transition: Transition, now: datetime) -> list[ColumnElement[bool]]:
    return [transition.state(), _time(transition) <= now, col(Article.deleted_at).is_(None)]


def _time(transition: Transition) -> Any:
    return col(getattr(Article, transition.time))


def due(session: Session, *, now: datetime, limit: int = 100) -> list[tuple[str, str]]:
    """(transition, article id) of every time the clock has passed (or that passed while no
    server was running), each kind oldest first: publishing, then embargoes, then expiry."""
    found: list[tuple[str, str]] = []
    for transition in TRANSITIONS:
        stmt = (
            select(col(Article.id))
            .where(*_due(transition, now))
            .order_by(_time(transition), col(Article.id))
            .limit(limit)
        )
        found.extend((transition.name, article_id) for article_id in session.scalars(stmt))
    return found


def next_due(session: Session) -> datetime | None:
    """When the next transition of any article is due (None: none is pending), so that the
    scheduling lane wakes on time."""
    times = [
        session.scalar(select(func.min(_time(t))).where(t.state(), col(Article.deleted_at).is_(None)))
        for t in TRANSITIONS
    ]
    return min((to_utc(t) for t in times if t is not None), default=None)


def apply_if_due(session: Session, name: str, article_id: str, *, now: datetime) -> bool:
    """Apply one transition to one article if it is still due, as one new version with its
    revision and after_write; the change records the time it was due. Another process applying
    it at the same moment makes this a no-op (the row is locked and skipped on PostgreSQL)."""
    transition = BY_NAME[name]
    stmt = select(Article).where(col(Article.id) == article_id, *_due(transition, now))
    if is_postgres(session):
        queries.hold_group(session, article_id)  # as every write to a member: the original first
        stmt = stmt.with_for_update(skip_locked=True)
    article = session.scalars(stmt).first()
    if article is None:
        return False
    due_at = getattr(article, transition.time)
    was_public = _public_until(article, transition)
    write_support.bump(session, article, article.version, transition.values(article))
    revisions.record(session, article, key=None, key_name=revisions.SCHEDULER)
    event = "article.embargoed" if article.is_embargoed else transition.event  # published into an embargo
    writes.after_write(session, article, was_public=was_public, event=event, due_at=due_at)
    return True


def _public_until(article: Article, transition: Transition) -> bool:
    """Whether the public saw the article until this transition's time: an expiry takes down
    an article that was public until then; publishing and lifting an embargo bring up one
    that was not."""
    if transition.name != "expire":
        return False
    embargo, expiry = article.embargoed_until, article.expires_at
    return embargo is None or expiry is None or to_utc(embargo) <= to_utc(expiry)
