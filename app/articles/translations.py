"""Translations: articles that are translations of one another form a group.

Each member is a full article (its own slug, language, status, revisions); what makes them a
group is `article.translation_group`, the id of the group's **original**: the article the
others were written from, which holds its own id there. Joining names any member
(`translation_of`), and the newcomer is a translation of that member's original; when the
original leaves (or is deleted for good), the earliest-created member left becomes the
original; a group left with one member is no group. One member per language.

What a member shows of the others (`translations`, `translation_of`) follows the reader's
sight: public paths see only public members, a key sees what it may read otherwise. A write
to a member names the others' `article:<id>` keys, so their cached answers are purged and
their stored documents rebuilt in the same transaction (app/articles/documents.py).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, ColumnExpressionArgument, and_, literal, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.articles import queries
from app.cache.purge import PURGE_KEYS
from app.changes import feed
from app.http.problems import Conflict, ValidationFailed
from app.store.engine import is_postgres
from app.store.models import Article, Category
from app.store.models.common import iso

FIELD = "translation_of"
# Members whose `translations` changed in this transaction without a write of their own: each
# public one gets an `upsert` in the change feed, so a mirror reads it again (record_reshown).
RESHOWN = "translations.reshown"


def _fail(message: str, *, status: type[Conflict] | type[ValidationFailed] = ValidationFailed) -> None:
    raise status(message, errors=[{"field": FIELD, "message": message}])


def members(session: Session, group: str) -> list[Article]:
    """The group's members that are not deleted, oldest first."""
    return list(
        session.scalars(
            select(Article)
            .where(col(Article.translation_group) == group, col(Article.deleted_at).is_(None))
            .order_by(col(Article.created_at), col(Article.id))
        )
    )


def _all_members(session: Session, group: str) -> list[Article]:
    """Every member, deleted ones too (they come back with a restore), oldest first."""
    return list(
        session.scalars(
            select(Article)
            .where(col(Article.translation_group) == group)
            .order_by(col(Article.created_at), col(Article.id))
        )
    )


def join(session: Session, article: Article, target_id: str | None) -> None:
    """Make `article` a translation in the group of `target_id` (None: leave its group).
    422 naming `translation_of` for an unknown or deleted article, or the article itself;
    409 when the group has a member in the article's language already."""
    if target_id is None:
        leave(session, article)
        return
    if target_id == article.id:
        _fail("an article cannot be a translation of itself")
    target = session.get(Article, target_id)
    if target is None or target.deleted_at is not None:
        _fail(f"no article with id {target_id!r}")
        return
    group = target.translation_group or target.id
    _hold(session, group)
    same = [m for m in members(session, group) if m.id != article.id and m.language == article.language]
    if target.language == article.language and target not in same:
        same.insert(0, target)
    if same:
        _fail(
            f"the group of {target_id!r} has an article in {article.language!r} already: {same[0].id!r}",
            status=Conflict,
        )
    if article.translation_group == group:
        return
    leave(session, article)
    if target.translation_group is None:
        target.translation_group = target.id
    article.translation_group = group
    _touch(session, [m.id for m in members(session, group) if m.id != article.id] or [target.id], reshown=True)


def _hold(session: Session, group: str) -> None:
    """Two writers bringing one language into one group at once: the second waits for the
    first's commit, then sees its member (PostgreSQL: the original's row lock; SQLite has
    one writer already)."""
    if is_postgres(session):
        session.execute(select(col(Article.id)).where(col(Article.id) == group).with_for_update())


def leave(session: Session, article: Article) -> None:
    """Take `article` out of its group: its original passes to the earliest member left,
    and a group of one is no group."""
    group = article.translation_group
    if group is None:
        return
    article.translation_group = None
    rest = [m for m in _all_members(session, group) if m.id != article.id]
    if len(rest) == 1:
        rest[0].translation_group = None
    elif group == article.id:
        living = [m for m in rest if m.deleted_at is None] or rest
        for member in rest:
            member.translation_group = living[0].id
    _touch(session, [m.id for m in rest], reshown=True)


def check_language(session: Session, article: Article) -> None:
    """After a write that may change a member's language: one member per language (409)."""
    if article.translation_group is None:
        return
    _hold(session, article.translation_group)
    for member in members(session, article.translation_group):
        if member.id != article.id and member.language == article.language:
            _fail(
                f"its translation group has an article in {article.language!r} already: {member.id!r}",
                status=Conflict,
            )


def touched(session: Session, article: Article, *, shown_changed: bool = True) -> None:
    """A write to a member changes what the others show of it (slug, URL, language, expiry,
    whether it is public): their cached answers and stored documents follow, and, when
    `shown_changed`, their `upsert` in the change feed (with the members a join or a leave in
    this transaction changed)."""
    if article.translation_group is not None:
        others = session.scalars(
            select(col(Article.id)).where(
                col(Article.translation_group) == article.translation_group, col(Article.id) != article.id
            )
        )
        _touch(session, list(others), reshown=shown_changed)
    record_reshown(session, written=article.id)


def record_reshown(session: Session, *, written: str | None = None) -> None:
    """An `upsert` in the change feed for each public member whose `translations` changed in
    this transaction (not `written`, whose own write records it): the version unchanged and
    no webhook, as for anything else a write shows elsewhere (app/changes/feed.record_all)."""
    ids = session.info.pop(RESHOWN, set()) - {written}
    if ids:
        feed.record_all(
            session,
            "article",
            select(col(Article.id), col(Article.version)).where(col(Article.id).in_(sorted(ids)), queries.public()),
            purge=set(),
        )


def _touch(session: Session, ids: Iterable[str], *, reshown: bool = False) -> None:
    ids = list(ids)
    session.info.setdefault(PURGE_KEYS, set()).update(f"article:{i}" for i in ids)
    if reshown:
        session.info.setdefault(RESHOWN, set()).update(ids)


# -- lists in one language, with a fallback ----------------------------------------------------


def in_language(
    lang: str, fallback: str, visible: Callable[[Any], ColumnExpressionArgument[bool]]
) -> ColumnElement[bool]:
    """The rows of a list in `lang` with `fallback`: an article in `lang`; or one in `fallback`
    whose group has no member in `lang` that the list may show (`visible(alias)`: the list's
    own rule, applied to the other member). One condition on each row, so the list's keyset
    pages it as any other filter."""
    other = aliased(Article)
    # A scalar subquery, not EXISTS: PostgreSQL turns an EXISTS under OR into a hash of every
    # visible article in `lang` (a sequential scan, 0.5 s a page at 100,000 articles), built
    # before the page's first row; this looks the group up for each row walked instead.
    has_lang = (
        select(literal(1))
        .where(
            col(other.translation_group) == col(Article.translation_group),
            col(other.language) == lang,
            visible(other),
        )
        .limit(1)
        .scalar_subquery()
    )
    return or_(
        col(Article.language) == lang,
        and_(
            col(Article.language) == fallback,
            or_(col(Article.translation_group).is_(None), has_lang.is_(None)),
        ),
    )


# -- reading ---------------------------------------------------------------------------------


def sight(*, private: bool = False, embargoed: bool = False) -> ColumnElement[bool]:
    """Which members a reader sees: public ones; with `embargoed` (content:embargoed) those
    under embargo too; with `private` (content:read, a preview) every one not deleted."""
    if private:
        return col(Article.deleted_at).is_(None)
    if embargoed:
        return or_(Article.is_public, Article.is_embargoed)
    return Article.is_public  # type: ignore[return-value]


Ref = dict[str, Any]


def load(
    session: Session,
    articles: Sequence[Any],
    url: Callable[[Any, str | None], str],
    who: ColumnElement[bool] | None = None,
) -> dict[str, list[Ref]]:
    """For each article of a page in a group: the other members `who` sees (default: the
    public), as {language, id, slug, url, original, expires_at}, by language; `url(row,
    category slug)` makes a member's URL. One statement a page."""
    groups = {a.translation_group for a in articles if getattr(a, "translation_group", None)}
    out: dict[str, list[Ref]] = defaultdict(list)
    if not groups:
        return out
    found = session.execute(
        select(
            col(Article.id),
            col(Article.slug),
            col(Article.language),
            col(Article.canonical_url),
            col(Article.translation_group),
            col(Article.expires_at),
            col(Category.slug).label("category_slug"),
        )
        .outerjoin(Category, col(Category.id) == col(Article.category_id))
        .where(col(Article.translation_group).in_(sorted(groups)), who if who is not None else queries.public())
        .order_by(col(Article.language), col(Article.id))
    ).all()
    by_group: dict[str, list[Any]] = defaultdict(list)
    for row in found:
        by_group[row.translation_group].append(row)
    for a in articles:
        group = getattr(a, "translation_group", None)
        for row in by_group.get(group or "", []):
            if row.id != a.id:
                out[a.id].append(
                    {
                        "language": row.language,
                        "id": row.id,
                        "slug": row.slug,
                        "url": url(row, row.category_slug),
                        "original": row.id == group,
                        # What caches and stored documents read: none shows it past this time.
                        "expires_at": iso(row.expires_at),
                    }
                )
    return out


def is_original(article: Any) -> bool:
    return getattr(article, "translation_group", None) == article.id
