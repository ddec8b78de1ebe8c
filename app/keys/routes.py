"""API keys, managed with an admin key."""

from fastapi import APIRouter, Response

from app.http.responses import JSONBytes
from app.http.routing import PrimaryReadSessionDep, Route, SessionDep
from app.keys import service
from app.keys.dependencies import Admin
from app.keys.schemas import KeyCreated, KeyList
from app.store.models.key import KeyCreate

router = APIRouter(prefix="/keys", tags=["keys"], route_class=Route)


@router.post(
    "",
    operation_id="create_key",
    status_code=201,
    response_model=KeyCreated,
    summary="Create a key (its secret is shown once)",
)
def create_key(data: KeyCreate, session: SessionDep, _: Admin) -> JSONBytes:
    key, secret = service.create_key(session, name=data.name, scopes=[str(s) for s in data.scopes])
    return JSONBytes(
        service.represent(key, secret),
        status_code=201,
        headers={"Location": f"/v1/keys/{key.id}", "Cache-Control": "no-store"},
    )


@router.get("", operation_id="list_keys", response_model=KeyList, summary="List keys, without secrets")
def list_keys(session: PrimaryReadSessionDep, _: Admin) -> JSONBytes:
    items = [service.represent(k) for k in service.list_keys(session)]
    return JSONBytes(
        {"data": items, "meta": {"limit": len(items), "has_more": False, "next_cursor": None}},
        headers={"Cache-Control": "no-store"},
    )


@router.delete("/{key_id}", operation_id="delete_key", status_code=204, summary="Revoke a key")
def delete_key(key_id: str, session: SessionDep, _: Admin) -> Response:
    service.revoke(session, key_id)
    return Response(status_code=204)
