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
