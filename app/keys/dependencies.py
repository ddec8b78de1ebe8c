"""Dependencies that name who is calling: a key with a scope, or anyone (public reads)."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.http.problems import Unauthorized
from app.keys import service
from app.store.engine import get_primary_read_engine
from app.store.models.common import utcnow
from app.store.models.key import ApiKey, Scope
from app.store.sessions import write_session

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer gz_…`.")
AuthHeader = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
# On public reads the key is optional: read as a plain header left out of the OpenAPI document,
# where a security scheme would tell generated clients that the operation needs one.
OptionalAuthHeader = Annotated[str | None, Header(alias="Authorization", include_in_schema=False)]


def _header(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return f"{credentials.scheme} {credentials.credentials}" if credentials else None


def _looked_up(header: str | None) -> ApiKey:
    """The caller's key, looked up on the primary (a key made a moment ago may not be on a
    replica yet) in a session of its own that is closed before this returns. Were that session
    held until the endpoint ends, a request would hold two connections at once, and as many
    writes as the pool has connections could each wait for a second one, forever; were it the
    request's own session, on SQLite it would take the write lock before the endpoint runs."""
    with Session(get_primary_read_engine()) as session:
        return service.authenticate(session, header)


def _touched(key: ApiKey) -> ApiKey:
    """Records that `key` was used, at most once a minute (on the key kept in memory too)."""
    if service.needs_touch(key):
        with write_session() as writing:  # short, and committed before the endpoint runs
            service.touch(writing, key.id)
            writing.commit()
        key.last_used_at = utcnow()
    return key


async def _authenticate(
    request: Request, authorization: HTTPAuthorizationCredentials | None, scope: str, *alternatives: str
) -> ApiKey:
    """The key, which must hold `scope` or one of `alternatives`. A key this process knows is
    checked on the event loop; any other is looked up (and touched) in the threadpool, and
    remembered when valid (`service.KNOWN`). Its name goes into the request's state, for the
    access log."""
    header = _header(authorization)
    digest = service.digest_of(header)
    key = service.KNOWN.get(digest)
    if key is None:
        generation = service.KNOWN.generation  # before the lookup: a purge meanwhile wins
        key = await run_in_threadpool(_looked_up, header)
        service.KNOWN.put(digest, key, generation)
    request.scope.setdefault("state", {})["key_name"] = key.name
    if not any(service.has_scope(key, s) for s in alternatives):
        service.check_scope(key, scope)
    if service.needs_touch(key):
        await run_in_threadpool(_touched, key)
    return key


def require_scope(scope: Scope | str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency: the caller's key, which must hold `scope` (401 without a key, 403 without the scope)."""

    async def dependency(request: Request, authorization: AuthHeader = None) -> ApiKey:
        return await _authenticate(request, authorization, str(scope))

    dependency.__name__ = f"require_{str(scope).replace(':', '_')}"
    return dependency


def _bearer_credentials(header: str | None) -> HTTPAuthorizationCredentials | None:
    """`Authorization: Bearer <key>` as HTTPBearer reads it; None for no header, no key or another scheme."""
    scheme, credentials = get_authorization_scheme_param(header)
    if not (header and scheme and credentials) or scheme.lower() != "bearer":
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


async def optional_reader(request: Request, authorization: OptionalAuthHeader = None) -> ApiKey | None:
    """On public reads: None for anonymous callers; a key with content:read sees drafts too, one
    with content:embargoed only articles under embargo besides what the public sees
    (`sees_everything`). A key sent but not valid is still a 401, and so is any Authorization
    that is not `Bearer <key>` (`Basic …`, `Token …`, an empty `Bearer`): mistakes are never
    silently public; a key with neither scope is a 403."""
    if authorization is None:
        return None
    credentials = _bearer_credentials(authorization)
    if credentials is None:
        raise Unauthorized(
            "Authorization must be `Bearer <key>`; this request sent another kind, or no key.",
            headers={"WWW-Authenticate": 'Bearer realm="gazette", error="invalid_request"'},
        )
    return await _authenticate(request, credentials, Scope.content_read, Scope.content_embargoed)


def sees_everything(key: ApiKey | None) -> bool:
    """Whether a reader's key shows every article (content:read), by id and slug and by `status`."""
    return key is not None and service.has_scope(key, Scope.content_read)


def sees_embargoed(key: ApiKey | None) -> bool:
    """Whether a reader's key shows articles under embargo, in lists too (content:embargoed)."""
    return key is not None and service.has_scope(key, Scope.content_embargoed)


Reader = Annotated[ApiKey | None, Depends(optional_reader)]
Writer = Annotated[ApiKey, Depends(require_scope(Scope.content_write))]
Publisher = Annotated[ApiKey, Depends(require_scope(Scope.content_publish))]
Admin = Annotated[ApiKey, Depends(require_scope(Scope.admin))]
