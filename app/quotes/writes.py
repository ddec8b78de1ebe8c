"""Writing quotes through /v1/quotes: create, patch (JSON Merge Patch) and delete.

A quote attached to an article is part of that article: writing one bumps the article's
version and raises article.updated. A quote is public only when it stands alone or its
article is published; writes to a quote the public cannot see record nothing public.
"""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.articles import linked
from app.articles import quotes as article_quotes
from app.changes import feed
from app.http import etags
from app.http.problems import Conflict, NotFound, ValidationFailed
from app.kit import merge_patch, writes
from app.quotes import queries
from app.quotes.schemas import QuoteCreate
from app.search import index
from app.store.models import Article, Person, Quote, Source
from app.taxonomy import refs


def _article(session: Session, article_id: str | None) -> Article | None:
    if article_id is None:
        return None
    article = session.get(Article, article_id)
    if article is None or article.deleted_at is not None:
        raise ValidationFailed(
            f"No article with id {article_id!r}.",
            errors=[{"field": "article", "message": f"no article with id {article_id!r}"}],
        )
    return article


def _resolve(session: Session, model: type[Person] | type[Source], ref: Any, *, field: str) -> Any:
    """refs.resolve, in a savepoint: when another writer made the same new speaker or source
    meanwhile, the unique slug stops the second insert and the row is found instead."""
    try:
        with session.begin_nested():
            return refs.resolve(session, model, ref, field=field)
    except IntegrityError:
        return refs.resolve(session, model, ref, field=field)


def _columns(session: Session, data: QuoteCreate, article: Article | None) -> dict[str, Any]:
    speaker = _resolve(session, Person, data.speaker, field="speaker")
    source = _resolve(session, Source, data.source, field="source") if data.source is not None else None
    return {
        "text": data.text,
        "person_id": speaker.id,
        "speaker_role": data.speaker_role,
        "article_id": article.id if article else None,
        "source_id": source.id if source else None,
        "language": data.language or (article.language if article else "fr"),
        "said_at": data.said_at,
        "external_id": data.external_id,
    }


def _is_public(article: Article | None) -> bool:
    return article is None or article.is_public


def _index(session: Session, quote: Quote | None, gone: str | None = None) -> None:
    if quote is not None:
        index.index_quotes(session, [quote])
    if gone is not None:
        index.unindex_quotes(session, [gone])


def _record(
    session: Session, quote: Quote, *, was_public: bool, is_public: bool, verb: str, version: int | None = None
) -> None:
    """The change feed, webhook and purge, for what the public could see before or can now;
    a quote the public sees makes public the speaker and source it names."""
    if is_public and (not was_public or refs.named_unlisted(session)):
        refs.made_public(session, people=[quote.person_id], sources=[quote.source_id])
    if not (was_public or is_public):
        return
    reason = None
    if not is_public:
        # it left the public's view: deleted, or moved onto an article the public cannot see
        reason = "deleted" if verb == "deleted" else "moved"
        verb = "deleted"
    elif not was_public:
        verb = "created"  # it came into view
    feed.record_verb(
        session,
        "quote",
        quote.id,
        version=version or quote.version,
        verb=verb,
        purge={"quotes", f"quote:{quote.id}"},
        reason=reason,
    )


def create_quote(session: Session, data: QuoteCreate) -> dict[str, Any]:
    """A new quote, as GET /v1/quotes/{id} shows it; an inline speaker or source is found
    by its name's slug before one is made."""
    article = _article(session, data.article)
    values = _columns(session, data, article)
    if article is not None:
        values["position"] = 1 + (
            session.scalar(select(func.max(col(Quote.position))).where(col(Quote.article_id) == article.id)) or 0
        )
    quote = Quote(**values)
    session.add(quote)
    writes.flush_or_conflict(session, session.flush, values)
    _index(session, quote)
    _record(session, quote, was_public=False, is_public=_is_public(article), verb="created")
    linked.touch(session, [quote.article_id])
    return queries.represent_many(session, [quote])[0]


def _get(session: Session, quote_id: str) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound(f"No quote with id {quote_id!r}.")
    return quote


def document(session: Session, quote: Quote) -> dict[str, Any]:
    """The quote as a create body: what a merge patch applies to."""
    source = session.get(Source, quote.source_id) if quote.source_id else None
    return {
        "text": quote.text,
        "speaker": session.get_one(Person, quote.person_id).slug,
        "speaker_role": quote.speaker_role,
        "article": quote.article_id,
        "source": source.slug if source else None,
        "language": quote.language,
        "said_at": quote.said_at.isoformat() if quote.said_at else None,
        "external_id": quote.external_id,
    }


def update_quote(session: Session, quote_id: str, patch: dict[str, Any], *, if_match: str | None) -> dict[str, Any]:
    """Apply a JSON Merge Patch; the merged whole must be a valid quote. Moving it to another
    article (or off one) touches both; a body that shows it is rendered again."""
    quote = _get(session, quote_id)
    expected = etags.expected_version(if_match, quote.version)
    data = writes.validate(QuoteCreate, merge_patch.apply(document(session, quote), patch))
    old_article = session.get(Article, quote.article_id) if quote.article_id else None
    article = _article(session, data.article)
    values = _columns(session, data, article)
    changed = {k: v for k, v in values.items() if getattr(quote, k) != v}
    if not changed:
        return queries.represent_many(session, [quote])[0]
    if "article_id" in changed:
        if old_article is not None and linked.quoting(session, [quote.id]):
            raise Conflict(
                "The article's body shows this quote: take it out of the body first.",
                errors=[{"field": "article", "message": "the quote is shown in its article's body"}],
            )
        if old_article is not None:
            article_quotes.refuse_if_shown_in_updates(session, [quote.id], field="article")
        changed["position"] = (
            1 + (session.scalar(select(func.max(col(Quote.position))).where(col(Quote.article_id) == article.id)) or 0)
            if article
            else 0
        )
    writes.bump(session, quote, expected, changed)
    _index(session, quote)
    linked.refresh_bodies(session, [quote.article_id])
    _record(session, quote, was_public=_is_public(old_article), is_public=_is_public(article), verb="updated")
    linked.touch(session, {quote.article_id, old_article.id if old_article else None})
    return queries.represent_many(session, [quote])[0]


def delete_quote(session: Session, quote_id: str, *, if_match: str | None) -> None:
    """Delete; 409 while its article's body shows it (take the block out first)."""
    quote = _get(session, quote_id)
    expected = etags.expected_version(if_match, quote.version)
    shown = linked.quoting(session, [quote.id])
    if shown:
        article_id, index = shown[0]
        raise Conflict(
            f"Article {article_id} shows this quote in body[{index}]: take it out of the body first.",
            errors=[{"field": "id", "message": f"shown by article {article_id} in body[{index}]"}],
        )
    article_quotes.refuse_if_shown_in_updates(session, [quote.id], field="id")
    article = session.get(Article, quote.article_id) if quote.article_id else None
    _index(session, None, gone=quote.id)
    # Recorded while the row can still be read (the webhook's tombstone is rendered now).
    _record(session, quote, was_public=_is_public(article), is_public=False, verb="deleted", version=expected + 1)
    writes.delete_at_version(session, quote, expected, "quote")
    linked.touch(session, [article.id if article else None])
