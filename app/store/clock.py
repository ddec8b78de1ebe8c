"""The one clock every time transition reads: scheduled publishing, embargoes lifting,
expiry, and every time Gazette writes down (`utcnow`).

It is the system's UTC time plus an offset that is zero in production. Tests move the offset
(`advance`) instead of sleeping: a server that was down across a transition is a clock moved
past it with no background round run, then one round (`app/kit/jobs.py` `run_once`). SQL that
compares with now takes the clock's time as a parameter evaluated when the statement runs
(`now_param`), never the database's own `now()`, so the same offset moves both.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlmodel.sql.sqltypes import UTCDateTime

_offset = timedelta(0)


def now() -> datetime:
    """Now, aware, in UTC, as the clock has it."""
    return datetime.now(UTC) + _offset


def timestamp() -> float:
    """Now as seconds since the epoch, as the clock has it."""
    return now().timestamp()


def advance(by: timedelta) -> datetime:
    """Move the clock forward by `by` (tests); the new now."""
    global _offset
    _offset += by
    return now()


def reset() -> None:
    """Back to the system's time."""
    global _offset
    _offset = timedelta(0)


def now_param(name: str = "clock_now") -> BindParameter[Any]:
    """The clock's now as a SQL parameter, read anew each time a statement holding it runs
    (prepared statements included: `app/store/sql.py` calls it)."""
    return bindparam(name, callable_=now, type_=UTCDateTime())
