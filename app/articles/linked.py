"""Articles touched by a write to something they link to: a quote of theirs, a category moved.

An article's version goes up when what it links to changes (its quotes, its categories, tags or
authors); a linked thing being renamed purges cached articles but leaves their versions alone.
"""

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.articles import writes
from app.kit.blocks import body_text, reading_stats, render_blocks
from app.store.models import Article, ArticleUpdate, Person, Quote, UpdateQuote
from app.store.models.common import utcnow


def touch(session: Session, article_ids: Iterable[str | None]) -> None:
    """Bump the articles' versions (atomically: concurrent editors see 412) and let each one
    meet the index, the change feed, the webhooks and the purge as any article change does."""
    ids = sorted(set(filter(None, article_ids)))
    if not ids:
        return
    session.flush()
    session.execute(
        update(Article)
        .where(col(Article.id).in_(ids))
        .values(version=col(Article.version) + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    for article in session.scalars(
        select(Article).where(col(Article.id).in_(ids)).execution_options(populate_existing=True)
    ):
        writes.after_write(session, article, was_public=article.is_public, event="article.updated")


def refresh_bodies(session: Session, article_ids: Iterable[str | None]) -> None:
    """Render the stored body_html and word counts again: a quote in the body, or the name of
    its speaker, changed."""
    ids = sorted(set(filter(None, article_ids)))
    if not ids:
        return
    session.flush()
    rows = session.execute(
        select(col(Quote.article_id), col(Quote.id), col(Quote.text), col(Quote.speaker_role), col(Person.name))
        .join(Person, col(Person.id) == Quote.person_id)
        .where(col(Quote.article_id).in_(ids))
    ).all()
    for article in session.scalars(select(Article).where(col(Article.id).in_(ids))):
        quotes = {
            qid: {"text": text, "speaker_name": name, "speaker_role": role}
            for aid, qid, text, role, name in rows
            if aid == article.id
        }
        # The same derivation as the body step of app/articles/writes.py, so both give the same HTML.
        article.body_html = render_blocks(article.body, quotes)
        text = " ".join(
            filter(None, [article.standfirst or "", body_text(article.body, {k: v["text"] for k, v in quotes.items()})])
        )
        article.word_count, article.reading_time_minutes = reading_stats(text)
        session.add(article)
    # A live blog's updates show its quotes too (those with a quote block: `UpdateQuote`): their
    # HTML follows (their versions stay, as the article's do; the purge names the blog's pages,
    # app/cache/purge.py).
    by_article: dict[str, dict[str, dict[str, str | None]]] = {}
    for aid, qid, text, role, name in rows:
        by_article.setdefault(aid, {})[qid] = {"text": text, "speaker_name": name, "speaker_role": role}
    quoting = select(col(UpdateQuote.update_id)).where(col(UpdateQuote.quote_id).in_({qid for _, qid, *_ in rows}))
    for update_row in session.scalars(
        select(ArticleUpdate).where(col(ArticleUpdate.article_id).in_(ids), col(ArticleUpdate.id).in_(quoting))
    ):
        html = render_blocks(update_row.body, by_article.get(update_row.article_id, {}))
        if html != update_row.body_html:
            update_row.body_html = html
            session.add(update_row)
    session.flush()


def quoting(session: Session, quote_ids: Iterable[str]) -> list[tuple[str, int]]:
    """(article id, block index) of every body block that shows one of these quotes."""
    ids = set(quote_ids)
    article_ids = session.scalars(
        select(col(Quote.article_id)).where(col(Quote.id).in_(ids), col(Quote.article_id).is_not(None))
    )
    found = []
    for article in session.scalars(select(Article).where(col(Article.id).in_(set(article_ids)))):
        found += [
            (article.id, i)
            for i, block in enumerate(article.body or [])
            if block.get("type") == "quote" and block.get("quote_id") in ids
        ]
    return found
