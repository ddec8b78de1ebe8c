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


# session.info: {model: {slug: row}}, rows already looked up by slug, for a writer of many
# things in one transaction (the import, app/transfer/importer.py: 30 categories and a few
# thousand tags, people and authors named again by every article line). That writer sets it
# and drops it whenever what it holds may no longer be true: at its commit, and when a
# savepoint it wrote under is rolled back (a row created there is gone). Rows are only ever
# added: nothing deletes a row of these tables while it is set, and a slug is matched as is.
SLUG_CACHE = "taxonomy.slug_cache"


def by_slugs(session: Session, model: type[T], slugs: list[str], *, field: str) -> list[T]:
    """The rows named by `slugs`, in that order; 422 naming `field` for the first unknown one."""
    if not slugs:
        return []
    cache = session.info.get(SLUG_CACHE)
    if cache is None:
        rows = {row.slug: row for row in session.exec(select(model).where(col(model.slug).in_(slugs)))}
    else:
        known = cache.setdefault(model, {})
        missing = [slug for slug in slugs if slug not in known]
        if missing:
            known.update((row.slug, row) for row in session.exec(select(model).where(col(model.slug).in_(missing))))
        rows = {slug: known[slug] for slug in slugs if slug in known}
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


def by_slugs_found(session: Session, model: type[T], slugs: list[str]) -> None:
    """Read the rows named by `slugs` into `SLUG_CACHE`, in one statement: the lookups after
    find them there. A slug nothing holds is left for its own lookup to report."""
    cache = session.info.get(SLUG_CACHE)
    if cache is None:
        return
    known = cache.setdefault(model, {})
    missing = [slug for slug in slugs if slug not in known]
    for start in range(0, len(missing), 500):  # within any engine's limit of bound parameters
        chunk = missing[start : start + 500]
        known.update((row.slug, row) for row in session.exec(select(model).where(col(model.slug).in_(chunk))))


def resolve(session: Session, model: type[Ref], ref: RefIn, *, field: str) -> Ref:
    """A person or source by slug, or found/created from a name: the same name never makes two."""
    if isinstance(ref, str):
        return by_slugs(session, model, [ref], field=field)[0]
    assert isinstance(ref, NamedRef)
    slug = ref.slug or slugify(ref.name)
    cache = session.info.get(SLUG_CACHE)
    known = cache.setdefault(model, {}) if cache is not None else {}
    existing = known.get(slug) or session.exec(select(model).where(col(model.slug) == slug)).first()
    if existing is not None:
        if cache is not None:
            known[slug] = existing
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
    if cache is not None:
        known[slug] = row
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
        ids = {i for i in named if i is not None and not _known_listed(session, model, i)}
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


def _known_listed(session: Session, model: type[Person] | type[Source], row_id: str) -> bool:
    """Whether the session holds the row, loaded and listed, under a writer that keeps
    `SLUG_CACHE` (and expires every loaded row when a savepoint of its is rolled back): the
    UPDATE listing it would change nothing. Only `made_public` lists a row, and its statement
    leaves a loaded object as it was, so a loaded `listed` of False may be stale, never True."""
    if SLUG_CACHE not in session.info:
        return False
    row = session.identity_map.get(session.identity_key(model, row_id))
    return row is not None and row.__dict__.get("listed") is True


def unique_slug(
    session: Session, model: type[T], wanted: str, *, resource_type: str, exclude_id: str | None = None
) -> str:
    """`wanted`, or `wanted-2`, `-3`…: free both as a current slug and as an old one."""
    return slugs.first_free(session, model, resource_type, wanted, exclude_id)
