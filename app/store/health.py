"""Is the database there?"""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.errors import ServiceUnavailable
from app.store.engine import get_engine


def check_database() -> None:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(f"The database does not answer: {type(exc).__name__}.") from None
