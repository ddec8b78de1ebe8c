"""Slugs, current and old: the one lookup by slug (an old slug still finds what it named, so a
read can answer 301) and the one rule for taking and giving up a slug, for articles and for
categories, people, sources, tags and authors alike.

When a resource's slug changes, the old one keeps redirecting to it (a row of `slug_redirect`);
no other resource of its type may take that old slug while it does, and the resource itself
may take it back.
"""

from typing import TypeVar

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.http.schemas import SLUG_MAX_LENGTH
from app.store.models import Article, Author, Category, Person, SlugRedirect, Source, Tag
from app.store.models.common import utcnow

# The resources that have a slug.
Slugged = Article | Category | Tag | Author | Person | Source
T = TypeVar("T", bound=Slugged)


def find(session: Session, model: type[T], resource_type: str, slug: str) -> tuple[T | None, bool]:
    """The resource holding `slug`, and whether it holds it as an old slug (then the answer is
    a redirect to its current one); (None, False) when none does."""
    row = session.scalars(select(model).where(col(model.slug) == slug)).first()
    if row is not None:
        return row, False
    moved = session.scalars(
        select(model)
        .join(SlugRedirect, col(SlugRedirect.resource_id) == model.id)
        .where(col(SlugRedirect.resource_type) == resource_type, col(SlugRedirect.slug) == slug)
    ).first()
    return moved, moved is not None


def holder(session: Session, model: type[T], resource_type: str, slug: str) -> str | None:
    """The id of the resource that holds `slug`, now or as an old slug that still redirects."""
    owner = session.scalars(select(col(model.id)).where(col(model.slug) == slug)).first()
    if owner is None:
        owner = session.scalars(
            select(col(SlugRedirect.resource_id)).where(
                col(SlugRedirect.resource_type) == resource_type, col(SlugRedirect.slug) == slug
            )
        ).first()
    return owner


def taken_by_another(session: Session, model: type[T], resource_type: str, slug: str, resource_id: str | None) -> bool:
    """Whether another resource holds `slug` (now or as an old slug): taking it would break
    the links to that one."""
    owner = holder(session, model, resource_type, slug)
    return owner is not None and owner != resource_id


def first_free(
    session: Session, model: type[T], resource_type: str, wanted: str, resource_id: str | None = None
) -> str:
    """`wanted`, or `wanted-2`, `-3`…: the first that no other resource holds, now or as an old slug."""
    candidate, n = wanted, 1
    while taken_by_another(session, model, resource_type, candidate, resource_id):
        n += 1
        candidate = f"{wanted[: SLUG_MAX_LENGTH - 5]}-{n}"
    return candidate


def take_back(session: Session, resource_type: str, slug: str) -> None:
    """A resource takes `slug` (free, or an old slug of its own): it no longer redirects."""
    session.execute(
        delete(SlugRedirect).where(col(SlugRedirect.resource_type) == resource_type, col(SlugRedirect.slug) == slug)
    )


def keep_redirecting(session: Session, resource_type: str, old_slug: str, resource_id: str) -> None:
    """`old_slug` was the resource's: links to it go on finding it (a 301 to the current one)."""
    session.add(SlugRedirect(resource_type=resource_type, slug=old_slug, resource_id=resource_id, created_at=utcnow()))


def forget(session: Session, resource_type: str, resource_id: str) -> None:
    """The resource is deleted: its old slugs redirect nowhere and are free again."""
    session.execute(
        delete(SlugRedirect).where(
            col(SlugRedirect.resource_type) == resource_type, col(SlugRedirect.resource_id) == resource_id
        )
    )
