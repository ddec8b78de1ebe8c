"""The change feed: recorded in the same transaction as the change, served exactly once.

Every write to public content calls `record`: it appends to the change feed's log, writes
the webhook outbox, and notes the surrogate keys whose cached responses the commit makes stale.

Why the feed is safe against commit order. On PostgreSQL, ids come from a sequence when a row
is inserted, not when its transaction commits: a transaction holding id 10 may commit after
one holding id 11, so a poller that remembered "after 11" would skip 10 forever. Each row
therefore carries the id of the transaction that wrote it (`txid`, pg_current_xact_id()), and
`list_changes` serves only rows whose transaction is older than every transaction still
running (`txid < pg_snapshot_xmin(pg_current_snapshot())`, the snapshot of the very statement
that reads the rows), ordered by (txid, id), with the cursor encoding (txid, id). A
transaction still in flight has txid >= xmin, so every row it will commit sorts after any
cursor already handed out: nothing is skipped, nothing repeats. The price: a long-running
transaction in Gazette's database holds the feed back until it ends. On SQLite writers are
serialised, so id order is commit order and txid is 0.

For any one resource the feed keeps commit order too: a row's txid is raised to the largest
txid already recorded for that resource (it is then still >= its own, so still held back while
its transaction runs), so a later change never sorts before an earlier one.
"""

from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import event as orm_event
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import Session, col

from app.cache.purge import PURGE_KEYS
from app.http.pagination import pack, unpack
from app.http.params import split_csv
from app.http.problems import InvalidParameter
from app.kit.hooks import Hook
from app.store.engine import is_postgres, rows
from app.store.models.change import Change
from app.store.models.common import iso, table_of, utcnow
from app.store.models.webhook import RESOURCE_TYPES
from app.store.sql import AnySelect, Prepared

# A change that raises a webhook event: app.webhooks queues its deliveries here, in the
# change's own transaction (registered by app.wiring).
EVENT_RAISED: Hook[...] = Hook("changes.event_raised")

# Why a `delete` happened: every delete in the feed and its webhook names one.
REASONS = {
    "deleted": "the resource was deleted",
    "unpublished": "the article was taken down by hand (unpublished, or put back to draft)",
    "expired": "the article's expiry time passed",
    "embargoed": "the article was put under an embargo that has not lifted yet",
    "moved": "the quote moved onto an article the public cannot see",
}

FEED_KEY = "changes"  # the surrogate key of every change-feed response
# session.info: {(type, id): (change id, op)} of what this transaction recorded, so that a
# resource written twice in one transaction (an article write that creates a person the
# same write then names again) is one change, showing its last state.
RECORDED = "gazette.recorded"

_CURRENT_TXID = "pg_current_xact_id()::text::bigint"
# pg_snapshot_xmin(pg_current_snapshot()), except that transactions seen running in *another*
# database are left out: they never write our change table, and xids are cluster-wide, so
# without this a busy neighbour database would hold the feed back. A transaction of ours that
# ends while this runs is absent from pg_stat_activity, so it is kept in: never unsafe.
_HORIZON = """(
  SELECT coalesce(min(x::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
  FROM pg_snapshot_xip(pg_current_snapshot()) AS x
  WHERE x::text::bigint % 4294967296 NOT IN (
    SELECT backend_xid::text::bigint FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()))"""


class ChangeParams(BaseModel):
    """Query parameters of GET /v1/changes."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(
        None,
        max_length=200,
        description="`next_cursor` of the previous call; left out, the feed starts at the beginning.",
    )
    limit: int = Field(500, ge=1, le=1000, description="Changes per call, 1–1000.")
    types: str | None = Field(
        None, max_length=200, description="Comma-separated resource types: " + ", ".join(RESOURCE_TYPES) + "."
    )


def record(
    session: Session,
    *,
    resource_type: str,
    resource_id: str,
    op: str,
    version: int,
    event: str | None = None,
    purge: set[str] | None = None,
    reason: str | None = None,
    due_at: datetime | None = None,
    article_id: str | None = None,
) -> None:
    """Log `op` ("upsert" or "delete") of a resource, once per transaction: recorded again in
    the same transaction, its one change takes the new op and version. `event` (such as
    "article.published") names the webhook event it raises, queued unless the same op of the
    resource already queued one in this transaction; `purge` adds surrogate keys to purge.
    `reason`: why a delete happened (`REASONS`; "deleted" when not given); `due_at`: the time
    a transition the clock applies was due (app/articles/schedule.py), when it is one;
    `article_id`: the article a live blog's update belongs to (where it is read)."""
    if op == "delete":
        reason = reason or "deleted"
        if reason not in REASONS:
            raise ValueError(f"unknown removal reason {reason!r}")
    else:
        reason = None
    recorded = session.info.setdefault(RECORDED, {})
    params = {
        "kind": resource_type,
        "key": resource_id,
        "op_": op,
        "version_": version,
        "at_": utcnow(),
        "reason_": reason,
        "due_": due_at,
        "article_": article_id,
    }
    prior = recorded.get((resource_type, resource_id))
    # A savepoint rolled back may have taken the prior row with it: then it is written anew.
    again = prior is not None and rows(session, _UPDATE, {**params, "id_": prior[0]}).rowcount == 1
    if not again:
        recorded[(resource_type, resource_id)] = (rows(session, _insert(is_postgres(session)), params).scalar_one(), op)
    else:
        recorded[(resource_type, resource_id)] = (prior[0], op)
    keys = session.info.setdefault(PURGE_KEYS, set())
    keys.add(f"{resource_type}:{resource_id}")
    keys.add(FEED_KEY)
    keys.update(purge or ())
    if event and not (again and prior[1] == op):
        EVENT_RAISED(
            session,
            event=event,
            resource_type=resource_type,
            resource_id=resource_id,
            op=op,
            reason=reason,
            due_at=due_at,
        )


def record_verb(
    session: Session,
    resource_type: str,
    resource_id: str,
    *,
    version: int,
    verb: str,
    purge: set[str],
    reason: str | None = None,
    due_at: datetime | None = None,
    article_id: str | None = None,
) -> None:
    """`record`, told by the webhook verb (quotes, live blogs' updates, people, sources…):
    "created" and "updated" are upserts, "deleted" a delete; the event is `<resource_type>.<verb>`."""
    record(
        session,
        resource_type=resource_type,
        resource_id=resource_id,
        op="delete" if verb == "deleted" else "upsert",
        version=version,
        event=f"{resource_type}.{verb}",
        purge=purge,
        reason=reason,
        due_at=due_at,
        article_id=article_id,
    )


def announce(session: Session, *, resource_type: str, resource_id: str, event: str) -> None:
    """Raise `event` for a resource the public cannot see (an article under embargo): its webhook
    deliveries, with nothing in the public change feed and nothing to purge."""
    EVENT_RAISED(session, event=event, resource_type=resource_type, resource_id=resource_id, op="upsert")


def record_all(session: Session, resource_type: str, rows_: AnySelect, *, purge: set[str]) -> int:
    """Log an upsert of every (id, version) that `rows_` (a SELECT) gives (a live blog's
    update: (id, version, article id)), in one statement:
    what each of them shows changed, though none of them was written (the site-wide comments
    switch shows in every public article; a renamed person in every quote of theirs). No
    webhooks: subscribers hear of the cause. Those this transaction already recorded are left
    out: their one change stands, and a mirror reads them again for it anyway."""
    table = table_of(Change)
    source = rows_.subquery()
    already = [key for kind, key in session.info.get(RECORDED, {}) if kind == resource_type]
    if already:
        source = select(source).where(source.c[0].not_in(already)).subquery()
    txid: ColumnElement[Any] = literal_column("0")
    if is_postgres(session):
        latest = select(func.coalesce(func.max(table.c.txid), 0)).scalar_subquery()
        txid = func.greatest(literal_column(_CURRENT_TXID), latest)
    at = bindparam("at", utcnow(), type_=table.c.at.type)
    article = list(source.c)[2:3]
    chosen = select(
        literal_column(f"'{resource_type}'"), source.c[0], literal_column("'upsert'"), source.c[1], at, txid, *article
    )
    session.flush()
    names = ["resource_type", "resource_id", "op", "version", "at", "txid", *(["article_id"] if article else [])]
    result = session.connection().execute(insert(table).from_select(names, chosen))
    session.info.setdefault(PURGE_KEYS, set()).update(purge | {FEED_KEY})
    return result.rowcount


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(RECORDED, None)


def install() -> None:
    """Forget what a transaction recorded when it ends (called by app.wiring)."""
    if not orm_event.contains(Session, "after_transaction_end", _forget):
        orm_event.listen(Session, "after_transaction_end", _forget)


def _typed(name: str, param: str) -> BindParameter[Any]:
    return bindparam(param, type_=table_of(Change).c[name].type)


# The change a resource already has in this transaction, given its new op and version.
_UPDATE = Prepared(
    update(table_of(Change))
    .where(
        table_of(Change).c.id == _typed("id", "id_"),
        table_of(Change).c.resource_type == _typed("resource_type", "kind"),
        table_of(Change).c.resource_id == _typed("resource_id", "key"),
    )
    .values(
        op=_typed("op", "op_"),
        version=_typed("version", "version_"),
        at=_typed("at", "at_"),
        reason=_typed("reason", "reason_"),
        due_at=_typed("due_at", "due_"),
        article_id=_typed("article_id", "article_"),
    )
)


@lru_cache(maxsize=2)
def _insert(postgres: bool) -> Prepared:
    """One row of the log. On PostgreSQL its txid is this transaction's id, raised to the
    largest already recorded for the resource; SQLite's column default (0) fills it there."""
    table = table_of(Change)
    values: dict[str, ColumnElement[Any]] = {
        name: bindparam(param, type_=table.c[name].type)
        for name, param in (
            ("resource_type", "kind"),
            ("resource_id", "key"),
            ("op", "op_"),
            ("version", "version_"),
            ("at", "at_"),
            ("reason", "reason_"),
            ("due_at", "due_"),
            ("article_id", "article_"),
        )
    }
    if postgres:
        prior = table.alias("prior")
        latest = (
            select(func.max(prior.c.txid))
            .where(prior.c.resource_type == bindparam("kind"), prior.c.resource_id == bindparam("key"))
            .scalar_subquery()
        )
        values["txid"] = func.greatest(literal_column(_CURRENT_TXID), latest)
    return Prepared(insert(table).values(values).returning(table.c.id))


def encode_cursor(txid: int, change_id: int) -> str:
    return pack([txid, change_id])


def decode_cursor(token: str) -> tuple[int, int]:
    """The (txid, id) a cursor points after; 400 naming `since` when it is not ours."""
    try:
        txid, change_id = unpack(token)
        if not all(type(v) is int and 0 <= v < 2**63 for v in (txid, change_id)):
            raise ValueError
    except (ValueError, TypeError):
        raise InvalidParameter("since", "not a cursor this feed issued") from None
    return txid, change_id


def represent(change: Any) -> dict[str, Any]:
    """A feed item, from a Change or a row of its columns; an update's names its article."""
    item = {
        "cursor": encode_cursor(change.txid, change.id),
        "type": change.resource_type,
        "id": change.resource_id,
        "op": change.op,
        "version": change.version,
        "at": iso(change.at),
        "reason": change.reason,
        "due_at": iso(change.due_at),
    }
    if change.article_id is not None:
        item["article"] = change.article_id
    return item


def read_params(params: ChangeParams) -> tuple[list[str], tuple[int, int]]:
    """The types asked for (none: all) and the (txid, id) to read after; 400 naming the
    parameter when one is not understood."""
    types = split_csv(params.types, field="types", allowed=frozenset(RESOURCE_TYPES))
    return types or [], decode_cursor(params.since) if params.since else (0, 0)


def tail(session: Session) -> tuple[int, int]:
    """The (txid, id) of the last change the feed serves now: what a reader that wants only
    what comes next starts after (app/changes/stream.py)."""
    stmt = select(col(Change.txid), col(Change.id))
    if is_postgres(session):
        stmt = stmt.where(col(Change.txid) < literal_column(_HORIZON))
    row = session.execute(stmt.order_by(col(Change.txid).desc(), col(Change.id).desc()).limit(1)).first()
    return (row[0], row[1]) if row is not None else (0, 0)


def list_changes(session: Session, params: ChangeParams) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """One page of the feed after `since`, its meta, and whether the page is settled (may be
    cached until the next change): not when committed changes wait behind a transaction still
    running. next_cursor is always given: when nothing is new it is `since` again."""
    types, after = read_params(params)
    columns: list[SQLCoreOperations[Any]] = [
        col(Change.txid),
        col(Change.id),
        col(Change.resource_type),
        col(Change.resource_id),
        col(Change.op),
        col(Change.version),
        col(Change.at),
        col(Change.reason),
        col(Change.due_at),
        col(Change.article_id),
    ]
    postgres = is_postgres(session)
    if postgres:
        # In the same statement (the same snapshot) as the rows: which of them are ready.
        columns.append((col(Change.txid) < literal_column(_HORIZON)).label("ready"))
    stmt = select(*columns).where(tuple_(col(Change.txid), col(Change.id)) > tuple_(*after))
    order = (col(Change.txid), col(Change.id))
    if types:
        # Each type's page is one range of (resource_type, txid, id), read in the feed's order;
        # the pages merged give the page. Filtering the feed's own order instead walked it
        # until enough rows of a rare type turned up: the whole feed, when none did.
        pages = [
            stmt.where(col(Change.resource_type) == kind).order_by(*order).limit(params.limit + 1).subquery()
            for kind in sorted(set(types))
        ]
        both = union_all(*(select(page) for page in pages)) if len(pages) > 1 else select(pages[0])
        merged = both.subquery("merged")
        stmt = select(merged).order_by(merged.c.txid, merged.c.id)
    else:
        stmt = stmt.order_by(*order)
    rows = session.execute(stmt.limit(params.limit + 1)).all()
    settled = True
    if postgres:
        ready = [r for r in rows if r.ready]  # a prefix: readiness only falls along (txid, id)
        settled, rows = len(ready) == len(rows), ready
    has_more = len(rows) > params.limit
    items = [represent(c) for c in rows[: params.limit]]
    next_cursor = items[-1]["cursor"] if items else encode_cursor(*after)
    return items, {"next_cursor": next_cursor, "has_more": has_more}, settled or has_more


def settled_end(session: Session) -> str:
    """The cursor after every change the feed serves now (`since` with it gives only what comes
    after). On PostgreSQL only changes older than every running transaction count: one still
    in flight sorts after this cursor, so a reader that starts from it misses nothing and may
    see again what it already has, which replaying makes harmless."""
    stmt = select(col(Change.txid), col(Change.id))
    if is_postgres(session):
        stmt = stmt.where(col(Change.txid) < literal_column(_HORIZON))
    last = session.execute(stmt.order_by(col(Change.txid).desc(), col(Change.id).desc()).limit(1)).first()
    return encode_cursor(*last) if last is not None else encode_cursor(0, 0)
