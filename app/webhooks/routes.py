"""Webhook subscriptions, their delivery log and manual retry (admin key)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.http.openapi import problem
from app.http.responses import JSONBytes, page_response
from app.http.routing import PrimaryReadSessionDep, Route, SessionDep
from app.keys.dependencies import Admin
from app.store.models.webhook import SecretRotation, WebhookCreate, WebhookUpdate
from app.webhooks import delivery, outbox
from app.webhooks.delivery import DeliveryListParams
from app.webhooks.schemas import DeliveryList, DeliveryRead, WebhookCreated, WebhookList, WebhookRead, WebhookRotated

router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=Route)

NO_STORE = {"Cache-Control": "no-store"}
CONFLICT: dict[int | str, dict[str, Any]] = {409: problem("The delivery already reached the receiver.")}


@router.post(
    "",
    operation_id="create_webhook",
    status_code=201,
    response_model=WebhookCreated,
    summary="Subscribe to events (the secret is shown once)",
)
def create_webhook(data: WebhookCreate, session: SessionDep, _: Admin) -> JSONBytes:
    webhook = outbox.create_webhook(session, data)
    return JSONBytes(
        outbox.represent(webhook, with_secret=True),
        status_code=201,
        headers={"Location": f"/v1/webhooks/{webhook.id}", **NO_STORE},
    )


@router.get("", operation_id="list_webhooks", response_model=WebhookList, summary="List subscriptions, without secrets")
def list_webhooks(session: PrimaryReadSessionDep, _: Admin) -> JSONBytes:
    items = [outbox.represent(w) for w in outbox.list_webhooks(session)]
    return JSONBytes(
        {"data": items, "meta": {"limit": len(items), "has_more": False, "next_cursor": None}}, headers=NO_STORE
    )


@router.get("/{webhook_id}", operation_id="get_webhook", response_model=WebhookRead, summary="Get a subscription")
def get_webhook(webhook_id: str, session: PrimaryReadSessionDep, _: Admin) -> JSONBytes:
    return JSONBytes(outbox.represent(outbox.get_webhook(session, webhook_id)), headers=NO_STORE)


@router.patch(
    "/{webhook_id}",
    operation_id="update_webhook",
    response_model=WebhookRead,
    summary="Change a subscription's URL, events or secret, pause it or enable it again",
)
def update_webhook(webhook_id: str, data: WebhookUpdate, session: SessionDep, _: Admin) -> JSONBytes:
    return JSONBytes(outbox.represent(outbox.update_webhook(session, webhook_id, data)), headers=NO_STORE)


@router.post(
    "/{webhook_id}/rotate-secret",
    operation_id="rotate_webhook_secret",
    response_model=WebhookRotated,
    summary="Sign with a new secret (shown once); the old one signs beside it for an overlap",
)
def rotate_secret(webhook_id: str, session: SessionDep, _: Admin, data: SecretRotation | None = None) -> JSONBytes:
    webhook = outbox.rotate_secret(session, webhook_id, data or SecretRotation())
    return JSONBytes(outbox.represent(webhook, with_secret=True), headers=NO_STORE)


@router.delete(
    "/{webhook_id}", operation_id="delete_webhook", status_code=204, summary="Delete a subscription and its deliveries"
)
def delete_webhook(webhook_id: str, session: SessionDep, _: Admin) -> Response:
    outbox.delete_webhook(session, webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    operation_id="list_webhook_deliveries",
    response_model=DeliveryList,
    summary="The delivery log: every event, its status and each attempt",
)
def list_deliveries(
    webhook_id: str,
    request: Request,
    params: Annotated[DeliveryListParams, Query()],
    session: PrimaryReadSessionDep,
    _: Admin,
) -> JSONBytes:
    items, page = delivery.list_deliveries(session, webhook_id, params)
    response = page_response(items, page, request.url)
    response.headers.update(NO_STORE)
    return response


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    operation_id="retry_webhook_delivery",
    response_model=DeliveryRead,
    status_code=202,
    responses=CONFLICT,
    summary="Send a failed or dead delivery again, now",
)
def retry_delivery(webhook_id: str, delivery_id: str, session: SessionDep, _: Admin) -> JSONBytes:
    return JSONBytes(delivery.retry(session, webhook_id, delivery_id), status_code=202, headers=NO_STORE)
