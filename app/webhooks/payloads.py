"""A delivery's `data`: the resource as the API shows it, or a tombstone when it is gone."""

from typing import Any

from sqlmodel import Session

from app.articles import view
from app.quotes import queries
from app.store.models import Article, Author, Category, Person, Quote, Source, Tag
from app.taxonomy import categories, directory

MODELS: dict[str, type] = {
    "article": Article,
    "quote": Quote,
    "category": Category,
    "person": Person,
    "source": Source,
    "tag": Tag,
    "author": Author,
}


def render(session: Session, resource_type: str, resource_id: str, *, deleted: bool) -> dict[str, Any]:
    """The public shape of the resource; for an unpublish or a delete, `{"id", "slug"}` (the
    slug when the row can still be read: record a hard delete before removing the row)."""
    model = MODELS.get(resource_type)
    row = session.get(model, resource_id) if model is not None else None
    if row is None:
        return {"id": resource_id}
    if deleted:
        tombstone = {"id": resource_id}
        if getattr(row, "slug", None):
            tombstone["slug"] = row.slug
        return tombstone
    if isinstance(row, Article):
        return view.build(session, [row])[0]
    if isinstance(row, Quote):
        return queries.represent_many(session, [row])[0]
    if isinstance(row, Category):
        return categories.represent_one(session, row)
    return directory.represent(row)
