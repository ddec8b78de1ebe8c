"""Site-wide settings: the comments switch and its reason."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.store.engine import rows
from app.store.models import SiteSetting
from app.store.models.common import iso
from app.store.sql import Prepared

COMMENTS_KEY = "comments"
DEFAULT_COMMENTS = {"enabled": True, "reason": None}
# The surrogate key that stands for every single-article response (article:<id> for all ids).


# Every uncached article read and every article write runs it: prepared (app/store/sql.py).
_COMMENTS = Prepared(select(col(SiteSetting.value)).where(col(SiteSetting.key) == COMMENTS_KEY))


def get_comments(session: Session) -> dict[str, Any]:
    value = rows(session, _COMMENTS).scalar()
    return {**DEFAULT_COMMENTS, **(value or {})}


def effective_comments(site: dict[str, Any], *, enabled: bool, reason: str | None) -> dict[str, Any]:
    """The policy a reader sees: the site-wide switch, when off, overrides every article."""
    if not site.get("enabled", True):
        return {"enabled": False, "scope": "site", "reason": site.get("reason")}
    return {"enabled": enabled, "scope": "article", "reason": reason}


def represent_comments(session: Session) -> dict[str, Any]:
    row = session.get(SiteSetting, COMMENTS_KEY)
    return {**get_comments(session), "updated_at": iso(row.updated_at) if row else None}
