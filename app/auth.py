"""Dependencies that name who is calling: a key with a scope, or anyone (public reads)."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.db import SessionDep, get_read_session
from app.models.key import ApiKey, Scope
from app.services import keys

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer gz_…`.")
AuthHeader = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _header(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return f"{credentials.scheme} {credentials.credentials}" if credentials else None


def require_scope(scope: Scope | str) -> Callable[..., ApiKey]:
    """A dependency: the caller's key, which must hold `scope` (401 without a key, 403 without the scope)."""

    def dependency(session: SessionDep, authorization: AuthHeader = None) -> ApiKey:
        key = keys.authenticate(session, _header(authorization))
        keys.check_scope(key, str(scope))
        return key

    dependency.__name__ = f"require_{str(scope).replace(':', '_')}"
    return dependency


def optional_reader(
    session: Annotated[Session, Depends(get_read_session, scope="function")],
    authorization: AuthHeader = None,
) -> ApiKey | None:
    """On public reads: None for anonymous callers; a key with content:read sees drafts too.
    A key sent but not valid is still a 401, so mistakes are not silently public."""
    if authorization is None:
        return None
    key = keys.authenticate(session, _header(authorization))
    keys.check_scope(key, Scope.content_read)
    return key


Reader = Annotated[ApiKey | None, Depends(optional_reader)]
Writer = Annotated[ApiKey, Depends(require_scope(Scope.content_write))]
Publisher = Annotated[ApiKey, Depends(require_scope(Scope.content_publish))]
Admin = Annotated[ApiKey, Depends(require_scope(Scope.admin))]
