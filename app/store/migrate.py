"""Running Alembic from code: `gazette db upgrade`, tests, and `serve --demo`."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.settings import get_settings
from app.store.engine import normalise_url

ROOT = Path(__file__).resolve().parents[2]  # the project: alembic.ini, migrations/


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = normalise_url(url or get_settings().database_url)
    return config


def upgrade(revision: str = "heads", url: str | None = None) -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(revision: str = "base", url: str | None = None) -> None:
    command.downgrade(alembic_config(url), revision)
