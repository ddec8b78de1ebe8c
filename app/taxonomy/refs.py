"""Resolving related things named by slug, or created on the fly from a name, never twice.

A person or source created on the fly is unlisted: off every public path (the lists, their
pages, `q`, the export), with no change in the feed and no webhook, for as long as only
unpublished content names it. `made_public` lists it, and records its creation then, in the
transaction that makes public what names it (an article published, a standalone quote).
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.changes import feed
from app.http.problems import ValidationFailed
from app.kit import slugs
from app.kit.text import slugify
from app.store.models import Person, Source, resources
from app.taxonomy.schemas import NamedRef, RefIn

T = TypeVar("T", bound=slugs.Slugged)
Ref = TypeVar("Ref", bound=Person | Source)  # what a reference may create

SLUGGED = {r.name: r.model for r in resources.SLUGGED}


def by_slugs(session: Session, model: type[T], slugs: list[str], *, field: str) -> list[T]:
    """The rows named by `slugs`, in that order; 422 naming `field` for the first unknown one."""
    if not slugs:
        return []
    rows = {row.slug: row for row in session.exec(select(model).where(col(model.slug).in_(slugs)))}
    for index, slug in enumerate(slugs):
        if slug not in rows:
            raise ValidationFailed(
                f"Unknown {model.__name__.lower()} {slug!r}.",
                errors=[
                    {
                        "field": f"{field}[{index}]" if len(slugs) > 1 else field,
                        "message": f"no {model.__name__.lower()} with slug {slug!r}",
                    }
                ],
            )
    return [rows[slug] for slug in slugs]


def resolve(session: Session, model: type[Ref], ref: RefIn, *, field: str) -> Ref:
    """A person or source by slug, or found/created from a name: the same name never makes two."""
    if isinstance(ref, str):
        return by_slugs(session, model, [ref], field=field)[0]
    assert isinstance(ref, NamedRef)
    slug = ref.slug or slugify(ref.name)
    existing = session.exec(select(model).where(col(model.slug) == slug)).first()
    if existing is not None:
        if not existing.listed:
            session.info[UNLISTED_NAMED] = True
        return existing
    values: dict[str, Any] = {"name": ref.name, "slug": slug}
    if model is Person:
        values |= {k: getattr(ref, k) for k in ("description", "current_role", "organization")}
    else:
        values |= {"kind": ref.kind or "publication", "homepage": ref.homepage}
    row = model(**values, listed=False)
    session.add(row)
    session.flush()
    session.info[UNLISTED_NAMED] = True
    return row


# session.info: this session named an unlisted person or source (made_public has work).
UNLISTED_NAMED = "taxonomy.unlisted_named"


def named_unlisted(session: Session) -> bool:
    """Whether the session resolved an unlisted person or source since it last listed any."""
    return bool(session.info.get(UNLISTED_NAMED))


def made_public(session: Session, *, people: Iterable[str | None], sources: Iterable[str | None]) -> None:
    """Something public now names these people and sources: list those that were not, each
    recorded as created (the change, `<type>.created`, the purge)."""
    session.info.pop(UNLISTED_NAMED, None)
    for model, named in ((Person, people), (Source, sources)):
        ids = {i for i in named if i is not None}
        if not ids:
            continue
        listed = session.execute(
            update(model)
            .where(col(model.id).in_(ids), col(model.listed).is_(False))
            .values(listed=True)
            .returning(col(model.id), col(model.version), col(model.slug))
        ).all()
        resource_type, plural = resources.BY_MODEL[model].name, resources.BY_MODEL[model].plural
        for row_id, version, slug in listed:
            feed.record(
                session,
                resource_type=resource_type,
                resource_id=row_id,
                op="upsert",
                version=version,
                event=f"{resource_type}.created",
                purge={plural, f"{resource_type}:{slug}"},
            )


def unique_slug(
    session: Session, model: type[T], wanted: str, *, resource_type: str, exclude_id: str | None = None
) -> str:
    """`wanted`, or `wanted-2`, `-3`…: free both as a current slug and as an old one."""
    return slugs.first_free(session, model, resource_type, wanted, exclude_id)
