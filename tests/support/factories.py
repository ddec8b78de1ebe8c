"""Factories: plain functions that write through the services and commit."""

from itertools import count
from typing import Any

from sqlmodel import Session

from app.articles import writes
from app.articles.schemas import ArticleCreate
from app.keys import service as key_service
from app.site import writes as site_writes
from app.store.models import Author, Category, Person, Source, Tag

_n = count(1)


def _writing(session: Session) -> Session:
    """Start the session's next transaction as the app starts its writes (on SQLite, BEGIN
    IMMEDIATE): a deferred one that read first could not write once another connection
    had committed meanwhile ("database is locked", seen now and then in the full suite)."""
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_begin_immediate": True})
    return session


def _create(session: Session, model: type, slug: str, values: dict[str, Any]):
    """Made through the write path (`POST /v1/<kind>` does the same): recorded in the change
    feed like anything an editor writes. Returns the row."""
    from sqlalchemy import select

    from app.taxonomy import writes as slugged_writes

    kind = slugged_writes.kind_of(model)
    slugged_writes.create(_writing(session), kind, kind.create.model_validate({"slug": slug, **values}))
    row = session.scalars(select(model).where(model.slug == slug)).one()
    session.commit()  # and no read after it: a read would hold this snapshot for the next ones
    return row


def make_category(session: Session, slug: str = "", *, parent: Category | None = None, **values) -> Category:
    slug = slug or f"category-{next(_n)}"
    values.setdefault("name", slug.replace("-", " ").title())
    return _create(session, Category, slug, {**values, "parent": parent.slug if parent else None})


def make_person(session: Session, slug: str = "", **values) -> Person:
    slug = slug or f"person-{next(_n)}"
    values.setdefault("name", slug.replace("-", " ").title())
    return _create(session, Person, slug, values)


def make_source(session: Session, slug: str = "", **values) -> Source:
    slug = slug or f"source-{next(_n)}"
    values.setdefault("name", slug.replace("-", " ").title())
    return _create(session, Source, slug, values)


def make_tag(session: Session, slug: str = "", **values) -> Tag:
    slug = slug or f"tag-{next(_n)}"
    values.setdefault("name", slug.title())
    return _create(session, Tag, slug, values)


def make_author(session: Session, slug: str = "", **values) -> Author:
    slug = slug or f"author-{next(_n)}"
    values.setdefault("name", slug.replace("-", " ").title())
    return _create(session, Author, slug, values)


def make_article(session: Session, **overrides: Any):
    """A published article unless `status` says otherwise; any create field may be given."""
    n = next(_n)
    data: dict[str, Any] = {
        "title": f"Article {n}",
        "status": "published",
        "published_at": f"2020-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}Z",
        "body": [{"type": "paragraph", "text": f"Body of article {n}."}],
    }
    data.update(overrides)
    article = writes.create(_writing(session), ArticleCreate.model_validate(data))
    session.commit()
    return article


def set_site_comments(session: Session, *, enabled: bool, reason: str | None) -> None:
    site_writes.set_comments(_writing(session), enabled=enabled, reason=reason)
    session.commit()


def make_key(session: Session, *scopes: str, name: str = "test") -> str:
    """A new API key with these scopes; returns its secret."""
    _, secret = key_service.create_key(_writing(session), name=name, scopes=list(scopes))
    session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
