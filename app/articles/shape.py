"""An article's write shape: what POST /v1/articles would take to make it as it is now.

PATCH merges into this shape, revisions keep it as their snapshot, and restoring a revision
feeds it back through the same validation as a create.
"""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.articles import view
from app.store.models import Article, ArticleStatus
from app.store.models.common import iso

RELATED = ("categories", "tags", "authors", "image", "attributions", "quotes")  # read from other tables
_REFS = frozenset({"category", "categories", "tags", "authors", "image"})  # the one refs statement's


def _related(session: Session, article: Article, names: set[str], loaded: view.Related | None = None) -> dict[str, Any]:
    """ "category" and the RELATED fields in `names`, read with the statements that build the
    article's public shape (app/articles/view.py): three at most; none for what
    `loaded` holds."""
    out: dict[str, Any] = {}
    ids = [article.id]
    loaded = loaded or view.Related()
    if names & _REFS:
        refs = loaded.refs if loaded.refs is not None else view.load_refs(session, [article], ids)
        primary = refs["category"][article.category_id][0]["slug"] if article.category_id else None
        out["category"] = primary
        out["categories"] = [r["slug"] for r in refs["categories"][article.id] if r["slug"] != primary]
        out["tags"] = [r["slug"] for r in refs["tags"][article.id]]
        out["authors"] = [r["slug"] for r in refs["authors"][article.id]]
        credit = refs["credit"][article.image_credit_source_id] if article.image_credit_source_id else None
        out["image"] = (
            {
                "url": article.image_url,
                "alt": article.image_alt,
                "caption": article.image_caption,
                "width": article.image_width,
                "height": article.image_height,
                "credit": article.image_credit,
                "credit_source": credit[0]["slug"] if credit else None,
            }
            if article.image_url
            else None
        )
    if "attributions" in names:
        out["attributions"] = [
            {"source": a["source"]["slug"], "role": str(a["role"]), "label": a["label"], "url": a["url"]}
            for a in (
                loaded.attributions
                if loaded.attributions is not None
                else view.load_attributions(session, ids).get(article.id, [])
            )
        ]
    if "quotes" in names:
        out["quotes"] = quotes_of(
            loaded.quote_rows if loaded.quote_rows is not None else view.quote_rows(session, ids).get(article.id, [])
        )
    return {name: out[name] for name in names}


def quotes_of(rows: list[view.Values]) -> list[dict[str, Any]]:
    """The write shape's quotes, from the article's `view.quote_rows`."""
    return [
        {
            "id": qid,
            "text": text,
            "speaker": speaker,
            "speaker_role": role,
            "source": source,
            "language": language,
            "said_at": said.isoformat() if said else None,
            "external_id": external_id,
        }
        for qid, text, speaker, _, role, source, _, language, said, external_id in rows
    ]


def write_shape(
    session: Session, article: Article, known: Mapping[str, Any] | None = None, *, loaded: view.Related | None = None
) -> dict[str, Any]:
    """The article as ArticleCreate's fields, related things named by slug, JSON-ready.
    `known` gives some of the related fields ("category" and RELATED) as the caller knows them
    to be now (a write that left them alone, holding the row): they are not read again; nor
    is what `loaded` holds, the rows they come from."""
    known = known or {}
    related = {**_related(session, article, {"category", *RELATED} - set(known), loaded), **known}
    share = None
    if article.share_title or article.share_description:
        share = {"title": article.share_title, "description": article.share_description}
    return {
        "title": article.title,
        "slug": article.slug,
        "external_id": article.external_id,
        "kicker": article.kicker,
        "standfirst": article.standfirst,
        "body": [dict(block) for block in article.body],
        "language": article.language,
        # Only create's two states: scheduled and unpublished articles read as drafts here;
        # their lifecycle moves through the publish, unpublish and restore endpoints.
        "status": "published" if article.status == ArticleStatus.published else "draft",
        "published_at": iso(article.published_at),
        "expires_at": iso(article.expires_at),
        "embargoed_until": iso(article.embargoed_until),
        "canonical_url": article.canonical_url,
        "category": related["category"],
        **{name: related[name] for name in RELATED},
        "comments": {"enabled": article.comments_enabled, "reason": article.comments_reason},
        "share": share,
        "live": {
            "coverage_started_at": iso(article.coverage_started_at),
            "coverage_ended_at": iso(article.coverage_ended_at),
        }
        if article.live
        else None,
    }
