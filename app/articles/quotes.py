"""An article's quotes, written with it: kept by id or external_id, new ones made, the rest
deleted; and, while the article is public, their changes in the feed."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.articles import view
from app.articles.schemas import QuoteIn
from app.changes import feed
from app.http.problems import Conflict
from app.search import index
from app.store.models import (
    Article,
    ArticleUpdate,
    Person,
    Quote,
    Source,
    UpdateQuote,
)
from app.store.models.common import utcnow
from app.taxonomy import refs


class Said(NamedTuple):
    """What the body shows of a quote: its text, and who said it in which role."""

    id: str
    text: str
    speaker_name: str
    speaker_role: str | None


def stored(session: Session, article: Article, rows: list[view.Values] | None = None) -> list[Said]:
    """The article's quotes as stored: from `rows` (`view.quote_rows`) when the caller
    read them in this transaction, holding the article's row, else read now."""
    if rows is None:
        rows = view.quote_rows(session, [article.id]).get(article.id, [])
    return [Said(qid, text, name, role) for qid, text, _, name, role, *_ in rows]


# session.info: {article id: ([(quote id, version, verb) written], [(quote id, version) deleted])},
# what `set_quotes` did to an article's quotes, for `after_write` to record.
QUOTE_WRITES = "gazette.quote_writes"


def quote_values(session: Session, language: str, position: int, item: QuoteIn) -> tuple[dict[str, Any], Person]:
    """A quote's columns as `item` gives them (its speaker and source found by slug, or made
    from a name; its language the article's, `language`, unless it says), and its speaker."""
    speaker = refs.resolve(session, Person, item.speaker, field=f"quotes[{position}].speaker")
    source = refs.resolve(session, Source, item.source, field=f"quotes[{position}].source") if item.source else None
    values: dict[str, Any] = {
        "text": item.text,
        "person_id": speaker.id,
        "speaker_role": item.speaker_role,
        "source_id": source.id if source else None,
        "language": item.language or language,
        "said_at": item.said_at,
        "external_id": item.external_id,
    }
    return values, speaker


def set_quotes(session: Session, article: Article, items: list[QuoteIn], *, new: bool = False) -> list[Said]:
    """Replace the article's quotes, keeping those named by id (or external_id) with their ids;
    returns them in request order. `new`: the article was just inserted, and has none yet."""
    rows = [] if new else list(session.scalars(select(Quote).where(col(Quote.article_id) == article.id)))
    by_id = {q.id: q for q in rows}
    by_external = {q.external_id: q for q in rows if q.external_id}
    keep: list[Quote] = []
    written: list[Quote] = []  # created or changed: what the change feed hears of
    names: dict[str, str] = {}
    for position, item in enumerate(items):
        values, speaker = quote_values(session, article.language, position, item)
        names[speaker.id] = speaker.name
        quote = by_id.pop(item.id, None) if item.id else None
        if quote is None and item.external_id and item.external_id in by_external:
            quote = by_id.pop(by_external[item.external_id].id, None)
        if quote is None:
            check_external_id(session, item.external_id, field=f"quotes[{position}].external_id")
            quote = Quote(article_id=article.id, **values)
            written.append(quote)
        elif any(getattr(quote, name) != value for name, value in values.items()):
            # Only a quote that really changed gets a new version (and a change-feed entry).
            quote.version += 1
            quote.updated_at = utcnow()
            written.append(quote)
        for name, value in values.items():
            setattr(quote, name, value)
        quote.position = position
        session.add(quote)
        keep.append(quote)
    session.flush()
    keep_ids = {q.id for q in keep}
    gone = (
        []
        if new
        else session.execute(
            select(col(Quote.id), col(Quote.version)).where(
                col(Quote.article_id) == article.id, col(Quote.id).not_in(keep_ids)
            )
        ).all()
    )
    if gone:
        refuse_if_shown_in_updates(session, [qid for qid, _ in gone], field="quotes")
        index.unindex_quotes(session, [qid for qid, _ in gone])
        session.execute(delete(Quote).where(col(Quote.article_id) == article.id, col(Quote.id).not_in(keep_ids)))
    session.info.setdefault(QUOTE_WRITES, {})[article.id] = (
        [(q.id, q.version, "created" if q.version == 1 else "updated") for q in written],
        [(qid, version + 1) for qid, version in gone],
    )
    index.index_quotes(session, keep)
    return [Said(q.id, q.text, names[q.person_id], q.speaker_role) for q in keep]


def shown_in_updates(session: Session, quote_ids: Iterable[str]) -> list[tuple[str, str, int]]:
    """(article id, update id, block index) of every block of a live blog's update that shows
    one of these quotes, by update id: from the links each update's write keeps (`UpdateQuote`)."""
    ids = set(quote_ids)
    if not ids:
        return []
    return [
        (article_id, update_id, block)
        for article_id, update_id, block in session.execute(
            select(col(ArticleUpdate.article_id), col(UpdateQuote.update_id), col(UpdateQuote.block))
            .join(ArticleUpdate, col(ArticleUpdate.id) == col(UpdateQuote.update_id))
            .where(col(UpdateQuote.quote_id).in_(ids))
            .order_by(col(UpdateQuote.update_id), col(UpdateQuote.block))
        ).all()
    ]


def refuse_if_shown_in_updates(session: Session, quote_ids: Iterable[str], *, field: str) -> None:
    """409 naming `field` (and, in each error, the update and its block) while an update of a
    live blog shows one of these quotes: as for the article's own body, the block goes first."""
    shown = shown_in_updates(session, quote_ids)
    if not shown:
        return
    updates = sorted({update_id for _, update_id, _ in shown})
    raise Conflict(
        f"Update{'s' if len(updates) > 1 else ''} {', '.join(updates)} of live blog {shown[0][0]} "
        "show this quote: take it out of the update first.",
        errors=[
            {"field": field, "message": f"shown by update {update_id} in body[{index}]"}
            for _, update_id, index in shown
        ],
        extensions={"updates": updates},
    )


def check_external_id(session: Session, external_id: str | None, *, field: str) -> None:
    if external_id and session.scalars(select(col(Quote.id)).where(col(Quote.external_id) == external_id)).first():
        raise Conflict(
            f"The quote external_id {external_id!r} is taken.",
            errors=[{"field": field, "message": f"{external_id!r} is taken by another quote"}],
        )


# The article's write-shape fields that each of its quotes shows (GET /v1/quotes/{id}: `article`).
SHOWN_IN_QUOTES = frozenset({"slug", "title", "expires_at"})


def record(
    session: Session,
    article: Article,
    *,
    was_public: bool,
    reason: str,
    due_at: datetime | None = None,
    shown_same: bool = False,
) -> None:
    """The change feed of the article's quotes, public while it is: those this write made,
    changed or deleted; all of them when the article comes into view or leaves it (their
    deletes then give the article's `reason`, their changes its `due_at`). Unless `shown_same`
    (the write left the article's fields its quotes show alone), every other quote of a public
    article is an upsert too, as it shows the article: no webhook, its version unchanged."""
    written, gone = session.info.get(QUOTE_WRITES, {}).pop(article.id, ((), ()))
    if article.is_public != was_public:
        held = session.execute(
            select(col(Quote.id), col(Quote.version)).where(col(Quote.article_id) == article.id)
        ).all()
        verb = "created" if article.is_public else "deleted"
        written = [(qid, version, verb) for qid, version in held]
    elif not article.is_public:
        return
    for qid, version, verb in written:
        if article.is_public:
            _record_quote(session, qid, version, verb, due_at=due_at)
        else:
            _record_quote(session, qid, version, "deleted", reason=reason, due_at=due_at)
    if was_public:
        for qid, version in gone:
            _record_quote(session, qid, version, "deleted", reason="deleted")
    if was_public and article.is_public and not shown_same:
        shown = select(col(Quote.id), col(Quote.version)).where(col(Quote.article_id) == article.id)
        feed.record_all(session, "quote", shown, purge={"quotes"})


def _record_quote(
    session: Session,
    quote_id: str,
    version: int,
    verb: str,
    *,
    reason: str | None = None,
    due_at: datetime | None = None,
) -> None:
    feed.record_verb(
        session,
        "quote",
        quote_id,
        version=version,
        verb=verb,
        purge={"quotes", f"quote:{quote_id}"},
        reason=reason,
        due_at=due_at,
    )
