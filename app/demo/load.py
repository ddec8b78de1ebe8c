"""Loading the demo content; running it twice changes nothing."""

from sqlalchemy import select
from sqlmodel import Session

from app.demo import content
from app.models import Article, Author, Category, Person, Source, Tag
from app.models.schemas import ArticleCreate
from app.services import article_writes, site


def _get_or_create(session: Session, model: type, values: dict) -> object:
    row = session.scalars(select(model).where(model.slug == values["slug"])).first()
    if row is None:
        row = model(**values)
        session.add(row)
        session.flush()
    return row


def load(session: Session) -> int:
    """Load every demo resource that is not there yet; returns how many articles were added."""
    for item in content.CATEGORIES:
        parent = item.get("parent")
        values = {k: v for k, v in item.items() if k != "parent"}
        if parent:
            values["parent_id"] = _get_or_create(session, Category, {"slug": parent, "name": parent}).id
        _get_or_create(session, Category, values)
    for model, items in ((Source, content.SOURCES), (Person, content.PEOPLE),
                         (Author, content.AUTHORS), (Tag, content.TAGS)):
        for item in items:
            _get_or_create(session, model, dict(item))
    added = 0
    for item in content.ARTICLES:
        exists = session.scalars(select(Article.id).where(Article.external_id == item["external_id"])).first()
        if exists is None:
            article_writes.create(session, ArticleCreate.model_validate(item))
            added += 1
    if session.get_bind() is not None and not site.get_comments(session).get("reason"):
        site.set_comments(session, **content.SITE_COMMENTS)
    session.flush()
    return added
