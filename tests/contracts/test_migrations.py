"""Alembic's history builds exactly the models' schema, and unbuilds it, on this run's engine."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.store import migrate
from app.store.engine import metadata, normalise_url
from app.store.migrate import compare_type
from tests.conftest import _create_database


def _diffs(url: str) -> list:
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
            diffs = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    known = set(metadata.tables)

    def about_known_table(diff) -> bool:
        # Engine-specific objects (full-text tables, their triggers) live outside the models.
        item = diff[0] if isinstance(diff, list) else diff
        table = (
            getattr(item[1], "name", None)
            if item[0].endswith("_table")
            else getattr(getattr(item[1], "table", None), "name", None)
        )
        return table is None or table in known

    return [d for d in diffs if about_known_table(d)]


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_matches_models_and_downgrade_empties(tmp_path):
    url, drop = _create_database(tmp_path)
    try:
        migrate.upgrade("heads", url)
        assert _diffs(url) == []
        assert set(metadata.tables) <= _tables(url)

        migrate.downgrade("base", url)
        assert _tables(url) <= {"alembic_version"}

        migrate.upgrade("heads", url)  # and back up again, from a downgraded database
        assert _diffs(url) == []
    finally:
        drop()


def test_the_quotes_updates_show_are_linked_from_the_bodies_already_written(tmp_path):
    """c6d8e0f2a4b7 fills article_update_quote from the updates written before it: the quote
    guard (app/articles/quotes.py) reads only those links."""
    from sqlmodel import Session, select

    from app.store.models import Article, ArticleUpdate, UpdateQuote
    from app.store.models.common import new_id, utcnow

    url, drop = _create_database(tmp_path)
    engine = sa.create_engine(normalise_url(url))
    try:
        migrate.upgrade("heads", url)
        blog, shows, plain = new_id(), new_id(), new_id()
        with Session(engine) as session:
            session.add(Article(id=blog, slug="direct", title="En direct", live=True))
            session.flush()
            quote = {"type": "quote", "quote_id": "q" * 26}
            text = {"type": "paragraph", "text": "Texte."}
            for update_id, body in ((shows, [text, quote, {**quote, "quote_id": "r" * 26}]), (plain, [text])):
                session.add(ArticleUpdate(id=update_id, article_id=blog, body=body, published_at=utcnow()))
            session.commit()
        migrate.downgrade("a7d3e9c2f5b1", url)  # as the updates were before the links existed
        migrate.upgrade("heads", url)

        with Session(engine) as session:
            links = session.exec(select(UpdateQuote).order_by(UpdateQuote.update_id, UpdateQuote.block)).all()
        assert [(link.update_id, link.block, link.quote_id) for link in links] == [
            (shows, 1, "q" * 26),
            (shows, 2, "r" * 26),
        ]
    finally:
        engine.dispose()
        drop()
