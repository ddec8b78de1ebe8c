"""Categories: the menu, flat or as a tree, and subcategory lookups for filters."""

from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.http.problems import NotFound
from app.kit import slugs
from app.store.engine import rows
from app.store.models import Category
from app.store.models.common import iso, table_of
from app.store.sql import Prepared


@lru_cache(maxsize=1)
def _menu() -> Prepared:
    """Every category's row in menu order, prepared once (app/store/sql.py): plain rows, no ORM
    objects (a third of the menu's cost at 30 categories, bench/README.md)."""
    return Prepared(select(*table_of(Category).c).order_by(col(Category.position), col(Category.slug)))


def _all(session: Session) -> list[Any]:
    """The categories' rows (each with the Category's attributes), in menu order."""
    return list(rows(session, _menu()))


def represent(category: Category, parent_slug: str | None) -> dict[str, Any]:
    return {
        "id": category.id,
        "slug": category.slug,
        "name": category.name,
        "description": category.description,
        "parent": parent_slug,
        "position": category.position,
        "updated_at": iso(category.updated_at),
        "version": category.version,
    }


def list_categories(session: Session, *, tree: bool) -> list[dict[str, Any]]:
    """All categories in menu order (depth first, by position); nested under `children` if `tree`."""
    rows = _all(session)
    slugs: dict[str | None, str] = {c.id: c.slug for c in rows}
    children: dict[str | None, list[Category]] = {}
    for c in rows:
        children.setdefault(c.parent_id if c.parent_id in slugs else None, []).append(c)

    def walk(parent_id: str | None, depth: int) -> list[dict[str, Any]]:
        out = []
        for c in children.get(parent_id, []):
            item = represent(c, slugs.get(c.parent_id))
            if tree:
                item["children"] = walk(c.id, depth + 1)
                out.append(item)
            else:
                out.append(item)
                out.extend(walk(c.id, depth + 1))
        return out

    return walk(None, 0)


def get_by_slug(session: Session, slug: str) -> Category | str:
    """The category, or its current slug when `slug` is an old one."""
    category, moved = slugs.find(session, Category, "category", slug)
    if category is not None:
        return category.slug if moved else category
    raise NotFound(f"No category with slug {slug!r}.")


def represent_one(session: Session, category: Category) -> dict[str, Any]:
    parent = session.get(Category, category.parent_id) if category.parent_id else None
    return represent(category, parent.slug if parent else None)


@lru_cache(maxsize=1)
def _tree() -> Prepared:
    """Every category's id, slug and parent, prepared once: what a filter by a section reads
    on each request (through the ORM, a fifth of the filter's cost)."""
    return Prepared(select(col(Category.id), col(Category.slug), col(Category.parent_id)))


@lru_cache(maxsize=1)
def _leaf() -> Prepared:
    below = aliased(Category)
    has_below = exists().where(col(below.parent_id) == col(Category.id))
    return Prepared(select(col(Category.id), has_below).where(col(Category.slug) == bindparam("slug")))


def leaf_id(session: Session, slug: str) -> str | None:
    """The id of the category with `slug` when it has no category below it (its articles are
    then those filed under it alone); None when it has one, or there is none with `slug`."""
    found = rows(session, _leaf(), {"slug": slug}).first()
    return found[0] if found is not None and not found[1] else None


def descendant_ids(session: Session, slug: str) -> list[str]:
    """The ids of the category with `slug` and of every category below it."""
    tree = list(rows(session, _tree()))
    root = next((cid for cid, s, _ in tree if s == slug), None)
    if root is None:
        return []
    below: dict[str | None, list[str]] = {}
    for cid, _, parent in tree:
        below.setdefault(parent, []).append(cid)
    found, stack = [], [root]
    while stack:
        cid = stack.pop()
        if cid in found:
            continue
        found.append(cid)
        stack.extend(below.get(cid, []))
    return found
