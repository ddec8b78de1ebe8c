"""Recording changes to public content, in the same transaction as the change itself.

Every write to public content calls `record`: it appends to the change feed's log, and
notes the surrogate keys whose cached responses the commit makes stale.
"""

from sqlmodel import Session

from app.models.change import Change
from app.models.common import utcnow

PURGE_KEYS = "gazette.purge_keys"


def record(
    session: Session,
    *,
    resource_type: str,
    resource_id: str,
    op: str,
    version: int,
    event: str | None = None,
    purge: set[str] | None = None,
) -> Change:
    """Log `op` ("upsert" or "delete") of a resource; `event` (such as "article.published")
    names the webhook event it raises; `purge` adds surrogate keys to purge."""
    change = Change(resource_type=resource_type, resource_id=resource_id, op=op,
                    version=version, at=utcnow())
    session.add(change)
    keys = session.info.setdefault(PURGE_KEYS, set())
    keys.add(f"{resource_type}:{resource_id}")
    keys.update(purge or ())
    return change
