"""An article's write shape: what POST /v1/articles would take to make it as it is now.

PATCH merges into this shape, revisions keep it as their snapshot, and restoring a revision
feeds it back through the same validation as a create.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.models import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleStatus,
    ArticleTag,
    Attribution,
    Author,
    Category,
    Person,
    Quote,
    Source,
    Tag,
)
from app.models.common import iso


def _slugs(session: Session, link, target, fk, article_id: str) -> list[str]:  # noqa: ANN001
    stmt = (
        select(target.slug).join(link, fk == target.id)
        .where(link.article_id == article_id).order_by(link.position)
    )
    return list(session.scalars(stmt))


def _source_slugs(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Source.id, Source.slug).where(Source.id.in_(ids))).all())


def _quotes(session: Session, article_id: str) -> list[dict[str, Any]]:
    rows = list(session.execute(
        select(Quote, Person.slug).join(Person, Person.id == Quote.person_id)
        .where(Quote.article_id == article_id).order_by(Quote.position, Quote.id)
    ))
    sources = _source_slugs(session, {q.source_id for q, _ in rows if q.source_id})
    return [
        {
            "id": q.id, "text": q.text, "speaker": speaker, "speaker_role": q.speaker_role,
            "source": sources.get(q.source_id) if q.source_id else None,
            "language": q.language, "said_at": q.said_at.isoformat() if q.said_at else None,
            "external_id": q.external_id,
        }
        for q, speaker in rows
    ]


RELATED = ("categories", "tags", "authors", "image", "attributions", "quotes")  # read from other tables


def _related(session: Session, article: Article, primary: str | None, names: set[str]) -> dict[str, Any]:
    """The RELATED fields in `names`, read from the database (sources' slugs in one query)."""
    out: dict[str, Any] = {}
    if "categories" in names:
        linked = _slugs(session, ArticleCategory, Category, ArticleCategory.category_id, article.id)
        out["categories"] = [slug for slug in linked if slug != primary]
    if "tags" in names:
        out["tags"] = _slugs(session, ArticleTag, Tag, ArticleTag.tag_id, article.id)
    if "authors" in names:
        out["authors"] = _slugs(session, ArticleAuthor, Author, ArticleAuthor.author_id, article.id)
    attributions = list(session.scalars(
        select(Attribution).where(Attribution.article_id == article.id).order_by(Attribution.position)
    )) if "attributions" in names else []
    credit = {article.image_credit_source_id} - {None} if "image" in names else set()
    sources = _source_slugs(session, {a.source_id for a in attributions} | credit)
    if "image" in names:
        out["image"] = {
            "url": article.image_url, "alt": article.image_alt, "caption": article.image_caption,
            "credit": article.image_credit, "credit_source": sources.get(article.image_credit_source_id),
        } if article.image_url else None
    if "attributions" in names:
        out["attributions"] = [
            {"source": sources[a.source_id], "role": str(a.role), "label": a.label, "url": a.url}
            for a in attributions
        ]
    if "quotes" in names:
        out["quotes"] = _quotes(session, article.id)
    return out


def write_shape(session: Session, article: Article, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The article as ArticleCreate's fields, related things named by slug, JSON-ready.
    `known` gives some of the RELATED fields as the caller knows them to be now (a write
    that left them alone, holding the row): they are not read again."""
    session.flush()
    known = known or {}
    primary = session.get(Category, article.category_id).slug if article.category_id else None
    related = {**_related(session, article, primary, set(RELATED) - set(known)), **known}
    share = None
    if article.share_title or article.share_description:
        share = {"title": article.share_title, "description": article.share_description}
    return {
        "title": article.title, "slug": article.slug, "external_id": article.external_id,
        "kicker": article.kicker, "standfirst": article.standfirst,
        "body": [dict(block) for block in article.body],
        "language": article.language,
        # Only create's two states: scheduled and unpublished articles read as drafts here;
        # their lifecycle moves through the publish, unpublish and restore endpoints.
        "status": "published" if article.status == ArticleStatus.published else "draft",
        "published_at": iso(article.published_at),
        "canonical_url": article.canonical_url,
        "category": primary,
        **{name: related[name] for name in RELATED},
        "comments": {"enabled": article.comments_enabled, "reason": article.comments_reason},
        "share": share,
    }
