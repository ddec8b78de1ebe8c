"""Is the database there, and at the migrations' head?"""

from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.http.problems import ServiceUnavailable
from app.store.engine import get_engine
from app.store.migrate import alembic_config
from app.store.replicas import WATCH


@lru_cache(maxsize=1)
def script_heads() -> frozenset[str]:
    """The heads of app/store/migrations/ (read once: they change only with the code)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _named(revisions: frozenset[str] | tuple[str, ...]) -> str:
    return ", ".join(sorted(revisions)) or "none"


def check_database() -> None:
    """The database answers and its migrations are at the head of the code's; else a 503
    saying which."""
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(f"The database does not answer: {type(exc).__name__}.") from None
    heads = script_heads()
    if current != heads:
        raise ServiceUnavailable(f"Database migrations behind: at {_named(current)}, head {_named(heads)}.")


def replicas(wait: float = 1.0) -> dict[str, object]:
    """With read replicas, where reads go and each replica's state (after the first look,
    waited for up to `wait` seconds); without, nothing."""
    if not WATCH.ensure_started():
        return {}
    WATCH.measured.wait(wait)
    states = WATCH.status()
    current = next((s["name"] for s in states if s["in_use"]), "primary")
    return {"reads_from": current, "replicas": states}
