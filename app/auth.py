"""Dependencies that name who is calling: a key with a scope, or anyone (public reads)."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.db import get_engine, write_session
from app.models.key import ApiKey, Scope
from app.services import keys

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer gz_…`.")
AuthHeader = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _header(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return f"{credentials.scheme} {credentials.credentials}" if credentials else None


def _key_session() -> Iterator[Session]:
    """Keys are looked up on the primary (a key made a moment ago may not be on a replica
    yet) in a session of their own that never writes. Were it the request's session, on
    SQLite it would take the write lock here and hold it while the endpoint waits for a
    thread, and threads waiting for that lock could be all there are."""
    with Session(get_engine()) as session:
        yield session


KeySession = Annotated[Session, Depends(_key_session, scope="function")]


def _authenticate(session: Session, authorization: HTTPAuthorizationCredentials | None, scope: str) -> ApiKey:
    key = keys.authenticate(session, _header(authorization))
    keys.check_scope(key, scope)
    if keys.needs_touch(key):
        with write_session() as writing:  # short, and committed before the endpoint runs
            keys.touch(writing, key.id)
            writing.commit()
    return key


def require_scope(scope: Scope | str) -> Callable[..., ApiKey]:
    """A dependency: the caller's key, which must hold `scope` (401 without a key, 403 without the scope)."""

    def dependency(session: KeySession, authorization: AuthHeader = None) -> ApiKey:
        return _authenticate(session, authorization, str(scope))

    dependency.__name__ = f"require_{str(scope).replace(':', '_')}"
    return dependency


def optional_reader(session: KeySession, authorization: AuthHeader = None) -> ApiKey | None:
    """On public reads: None for anonymous callers; a key with content:read sees drafts too.
    A key sent but not valid is still a 401, so mistakes are not silently public."""
    if authorization is None:
        return None
    return _authenticate(session, authorization, Scope.content_read)


Reader = Annotated[ApiKey | None, Depends(optional_reader)]
Writer = Annotated[ApiKey, Depends(require_scope(Scope.content_write))]
Publisher = Annotated[ApiKey, Depends(require_scope(Scope.content_publish))]
Admin = Annotated[ApiKey, Depends(require_scope(Scope.admin))]
