"""Article revisions: one per version, each with the key that made it and the write shape it held."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlmodel import Session, col

from app.articles import shape
from app.http.problems import NotFound
from app.store.engine import rows
from app.store.models import Article, ArticleRevision
from app.store.models.common import iso, table_of
from app.store.models.key import ApiKey
from app.store.sql import Prepared

# Who made a change no key made: the scheduler publishing an article at its time.
SCHEDULER = "scheduler"


def lifecycle_status(article: Article) -> str:
    """draft, scheduled, published, unpublished, or deleted (which keeps the status under it)."""
    return "deleted" if article.deleted_at is not None else str(article.status)


def record(
    session: Session,
    article: Article,
    *,
    key: ApiKey | None,
    key_name: str | None = None,
    known: Mapping[str, Any] | None = None,
) -> None:
    """Keep the article as it is now as the revision numbered by its (just bumped) version;
    `known`: related fields the write left as they were (see `shape.write_shape`)."""
    rows(
        session,
        _INSERT,
        {
            "article_id": article.id,
            "number": article.version,
            "version": article.version,
            "created_at": article.updated_at,
            "key_id": key.id if key else None,
            "key_name": key.name if key else key_name,
            "status": lifecycle_status(article),
            "snapshot": shape.write_shape(session, article, known),
        },
    )


_COLUMNS = ("article_id", "number", "version", "created_at", "key_id", "key_name", "status", "snapshot")
_INSERT = Prepared(
    insert(table_of(ArticleRevision)).values(
        {name: bindparam(name, type_=table_of(ArticleRevision).c[name].type) for name in _COLUMNS}
    )
)


def list_for(session: Session, article_id: str) -> list[ArticleRevision]:
    """Every revision of an existing article, newest first."""
    if session.get(Article, article_id) is None:
        raise NotFound(f"No article with id {article_id!r}.")
    stmt = (
        select(ArticleRevision)
        .where(col(ArticleRevision.article_id) == article_id)
        .order_by(col(ArticleRevision.number).desc())
    )
    return list(session.scalars(stmt))


def get(session: Session, article_id: str, number: int) -> ArticleRevision:
    revision = session.scalars(
        select(ArticleRevision).where(
            col(ArticleRevision.article_id) == article_id, col(ArticleRevision.number) == number
        )
    ).first()
    if revision is None:
        raise NotFound(f"Article {article_id!r} has no revision {number}.")
    return revision


def represent(revision: ArticleRevision, *, with_snapshot: bool = False) -> dict[str, Any]:
    snapshot = revision.snapshot
    out: dict[str, Any] = {
        "number": revision.number,
        "version": revision.version,
        "created_at": iso(revision.created_at),
        "key_id": revision.key_id,
        "key_name": revision.key_name,
        "title": snapshot.get("title"),
        "slug": snapshot.get("slug"),
        "status": revision.status,
    }
    if with_snapshot:
        out["snapshot"] = snapshot
    return out
