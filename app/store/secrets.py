"""The server's own secrets: GAZETTE_SECRET_KEY when the operator sets it, else a key the
server makes at its first start and keeps in the database (`server_secret`), so that every
process and node signs and checks with the same one and no published default can sign
anything. Read once per process, then kept in memory."""

import secrets
import threading

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.settings import get_settings
from app.store.engine import get_engine
from app.store.models.secret import ServerSecret
from app.store.sessions import write_session

SIGNING_KEY = "signing_key"  # signs preview tokens (app/articles/previews.py)
_KEY_BYTES = 48  # 64 URL-safe characters

_lock = threading.Lock()
_known: dict[str, str] = {}


def signing_key() -> str:
    """The key that signs what the server hands out (preview tokens): GAZETTE_SECRET_KEY when
    set, else the one kept in the database, made the first time any process needs it."""
    return get_settings().secret_key or stored(SIGNING_KEY)


def stored(name: str) -> str:
    """The secret `name` kept in the database, made (and kept) when there is none yet."""
    with _lock:
        value = _known.get(name)
        if value is None:
            value = _known[name] = _read_or_make(name)
        return value


def _read(name: str) -> str | None:
    with Session(get_engine()) as session:  # the primary: a replica may not have it yet
        row = session.get(ServerSecret, name)
        return row.value if row is not None else None


def _read_or_make(name: str) -> str:
    value = _read(name)
    if value is not None:
        return value
    try:
        with write_session() as session:
            session.add(ServerSecret(name=name, value=secrets.token_urlsafe(_KEY_BYTES)))
            session.commit()
    except IntegrityError:
        pass  # another process made it meanwhile: theirs is the one
    value = _read(name)
    if value is None:  # pragma: no cover - written or found just above
        raise RuntimeError(f"the secret {name!r} could not be kept in the database")
    return value
