"""A delivery's `data`: the resource as the API shows it, or a tombstone when it is gone (a
live blog's update's names its article)."""

from typing import Any

from sqlmodel import Session

from app.articles import view
from app.articles.live import queries as live
from app.quotes import queries
from app.store.models import Article, ArticleUpdate, Author, Category, Person, Quote, Source, Tag
from app.taxonomy import categories, directory

MODELS: dict[str, type] = {
    "article": Article,
    "quote": Quote,
    "update": ArticleUpdate,
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
        if isinstance(row, ArticleUpdate):
            tombstone["article"] = row.article_id  # where it was read
        return tombstone
    if isinstance(row, Article):
        return view.build(session, [row])[0]
    if isinstance(row, ArticleUpdate):
        return live.represent_many(session, session.get_one(Article, row.article_id), [row])[0]
    if isinstance(row, Quote):
        return queries.represent_many(session, [row])[0]
    if isinstance(row, Category):
        return categories.represent_one(session, row)
    return directory.represent(row)
