"""People, sources, tags and authors: slugged resources listed by slug with a cursor."""

from typing import Any, TypeVar

from pydantic import Field
from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, SQLModel, col

from app.http.pagination import Keyset, Page, PreparedPages
from app.http.params import ListParams
from app.http.problems import NotFound
from app.kit import slugs
from app.store.models import Author, Person, Source, Tag, resources
from app.store.models.common import iso, table_of

# The resources listed here.
Listed = Person | Source | Tag | Author
L = TypeVar("L", bound=Listed)
RESOURCE_TYPES: dict[type[SQLModel], str] = {m: resources.BY_MODEL[m].name for m in (Person, Source, Tag, Author)}
SHOWN: dict[type[SQLModel], tuple[str, ...]] = {
    Person: ("name", "description", "current_role", "organization"),
    Source: ("name", "kind", "homepage"),
    Tag: ("name",),
    Author: ("name", "bio"),
}


class DirectoryParams(ListParams):
    """Query parameters of the people, sources, tags and authors lists."""

    q: str | None = Field(None, max_length=200, description="Names that start with or contain this text.")


def represent(row: Any, model: type[SQLModel] | None = None) -> dict[str, Any]:
    """One of them as the API shows it: `row` an object, or a plain row of `model`'s columns."""
    out = {"id": row.id, "slug": row.slug}
    out |= {name: getattr(row, name) for name in SHOWN[model or type(row)]}
    out |= {"created_at": iso(row.created_at), "updated_at": iso(row.updated_at), "version": row.version}
    return out


def public(model: type[SQLModel]) -> list[ColumnElement[bool]]:
    """What of `model` the public sees: people and sources once listed (refs.py), the rest all."""
    if model is Person or model is Source:
        return [col(model.listed).is_(True)]
    return []


def is_public(row: Any) -> bool:
    """`public`, on a loaded row."""
    return bool(getattr(row, "listed", True))


_BY_SLUG: dict[type[SQLModel], Keyset] = {m: Keyset(col(m.slug), "slug") for m in (Person, Source, Tag, Author)}
_PAGES: dict[tuple[type[SQLModel], bool], PreparedPages] = {}


def _pages(model: type[SQLModel], keyed: bool) -> PreparedPages:
    """Pages of `model` by slug (a keyed reader's: unlisted too), plain rows, prepared once."""
    found = _PAGES.get((model, keyed))
    if found is None:
        stmt = select(*table_of(model).c).where(*([] if keyed else public(model)))
        found = _PAGES[model, keyed] = _BY_SLUG[model].prepare(stmt)
    return found


def list_items(session: Session, model: type[L], params: DirectoryParams, *, keyed: bool = False) -> Page:
    """A page by slug; a keyed reader sees people and sources still unlisted too."""
    conds: list[ColumnElement[bool]] = [] if keyed else public(model)
    if params.q:
        conds.append(func.lower(model.name).contains(params.q.strip().lower(), autoescape=True))
    if params.q:
        rows, next_cursor = _BY_SLUG[model].page(
            session, select(*table_of(model).c).where(*conds), cursor=params.cursor, limit=params.limit
        )
    else:  # the list as it is most read: its statements prepared once
        rows, next_cursor = _BY_SLUG[model].run(session, _pages(model, keyed), cursor=params.cursor, limit=params.limit)
    total = session.scalar(select(func.count()).select_from(model).where(*conds)) if params.count else None
    return Page(
        items=[represent(r, model) for r in rows],
        limit=params.limit,
        next_cursor=next_cursor,
        total=total,
    )


def get_by_slug(session: Session, model: type[Listed], slug: str, *, keyed: bool = False) -> Any:
    """The row with `slug`, or its current slug (a str) when `slug` is an old one; an unlisted
    person or source only for a keyed reader."""
    row, moved = slugs.find(session, model, RESOURCE_TYPES[model], slug)
    if row is not None and (keyed or is_public(row)):
        return row.slug if moved else row
    raise NotFound(f"No {RESOURCE_TYPES[model]} with slug {slug!r}.")
