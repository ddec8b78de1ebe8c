"""Site-wide settings: the comments switch and its reason."""

from typing import Any

from sqlmodel import Session

from app.models import SiteSetting
from app.models.common import utcnow

COMMENTS_KEY = "comments"
DEFAULT_COMMENTS = {"enabled": True, "reason": None}


def get_comments(session: Session) -> dict[str, Any]:
    row = session.get(SiteSetting, COMMENTS_KEY)
    return {**DEFAULT_COMMENTS, **(row.value if row else {})}


def set_comments(session: Session, *, enabled: bool, reason: str | None) -> SiteSetting:
    row = session.get(SiteSetting, COMMENTS_KEY)
    value = {"enabled": enabled, "reason": reason}
    if row is None:
        row = SiteSetting(key=COMMENTS_KEY, value=value, updated_at=utcnow())
    else:
        row.value, row.updated_at, row.version = value, utcnow(), row.version + 1
    session.add(row)
    session.flush()
    return row


def effective_comments(site: dict[str, Any], *, enabled: bool, reason: str | None) -> dict[str, Any]:
    """The policy a reader sees: the site-wide switch, when off, overrides every article."""
    if not site.get("enabled", True):
        return {"enabled": False, "scope": "site", "reason": site.get("reason")}
    return {"enabled": enabled, "scope": "article", "reason": reason}
