"""Running Alembic from code: `gazette db upgrade`, tests, and `serve --demo`."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import String, Text

from app.settings import get_settings
from app.store.engine import normalise_url

# Inside the package, so that an installed Gazette (a wheel, the image) migrates as a checkout does.
HERE = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    config.attributes["url"] = normalise_url(url or get_settings().database_url)
    return config


def _is_text(type_: Any) -> bool:
    """A VARCHAR of some length (SQLModel's AutoString decorates one)."""
    return isinstance(getattr(type_, "impl_instance", type_), String) and not isinstance(type_, Text)


def compare_type(
    context: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """Alembic's type comparison, but for the length of a VARCHAR on SQLite, which SQLite
    neither enforces nor lets a migration change without copying the table (and the tables
    that reference it). None: Alembic's own comparison decides."""
    if context.dialect.name == "sqlite" and _is_text(inspected_type) and _is_text(metadata_type):
        return False
    return None


def upgrade(revision: str = "heads", url: str | None = None) -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(revision: str = "base", url: str | None = None) -> None:
    command.downgrade(alembic_config(url), revision)
