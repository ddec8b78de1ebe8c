"""Webhook secret rotation, after Standard Webhooks: the new secret signs at once, the old one
beside it until the end the operator sets, then no more."""

import base64
import secrets
import time
from datetime import timedelta

import pytest
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError

from app.store.models.common import iso, utcnow
from tests.api.keys.test_keys import bearer, make_key
from tests.support.factories import make_article
from tests.support.webhook_receiver import Receiver, drive


@pytest.fixture
def admin(session) -> dict[str, str]:
    return bearer(make_key(session, "admin"))


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def _secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _subscribe(client, admin, url: str) -> dict:
    response = client.post("/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def _next_delivery(session, receiver: Receiver) -> dict:
    sent = len(receiver.received())
    make_article(session)
    drive(lambda: len(receiver.received()) == sent + 1)
    return receiver.received()[-1]


def _verifies(secret: str, request: dict) -> bool:
    try:
        Verifier(secret).verify(request["body"], request["headers"])
    except WebhookVerificationError:
        return False
    return True


def test_a_rotated_secret_signs_beside_the_old_one_for_the_default_overlap(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)

    rotated = client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=admin)
    shown = client.get(f"/v1/webhooks/{hook['id']}", headers=admin).json()
    request = _next_delivery(session, receiver)

    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != hook["secret"] and "secret" not in shown
    ends = rotated.json()["previous_secret_expires_at"]
    assert iso(utcnow() + timedelta(hours=23)) < ends <= iso(utcnow() + timedelta(hours=24))
    assert shown["previous_secret_expires_at"] == ends
    signatures = request["headers"]["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    assert _verifies(new, request) and _verifies(hook["secret"], request)


def test_the_old_secret_stops_signing_when_its_overlap_ends(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)
    new = _secret()
    ends = utcnow() + timedelta(seconds=3)

    patched = client.patch(
        f"/v1/webhooks/{hook['id']}",
        json={"secret": new, "previous_secret_expires_at": ends.isoformat()},
        headers=admin,
    )
    during = _next_delivery(session, receiver)
    time.sleep(max(0.0, (ends - utcnow()).total_seconds()) + 1.1)
    after = _next_delivery(session, receiver)
    shown = client.get(f"/v1/webhooks/{hook['id']}", headers=admin).json()

    assert patched.status_code == 200, patched.text
    assert "secret" not in patched.json()  # the caller chose it: never shown back
    assert _verifies(new, during) and _verifies(hook["secret"], during)
    assert len(after["headers"]["webhook-signature"].split(" ")) == 1
    assert _verifies(new, after) and not _verifies(hook["secret"], after)
    assert shown["previous_secret_expires_at"] is None


def test_an_overlap_ending_now_stops_the_old_secret_at_once(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)

    rotated = client.post(
        f"/v1/webhooks/{hook['id']}/rotate-secret",
        json={"previous_secret_expires_at": iso(utcnow() - timedelta(minutes=1))},
        headers=admin,
    ).json()
    request = _next_delivery(session, receiver)

    assert rotated["previous_secret_expires_at"] is None
    assert _verifies(rotated["secret"], request) and not _verifies(hook["secret"], request)


def test_bad_rotations_are_422_naming_the_field(client, admin):
    hook = _subscribe(client, admin, "https://example.org/hooks")
    url = f"/v1/webhooks/{hook['id']}"
    far = iso(utcnow() + timedelta(days=31))
    cases = [
        ("patch", {"secret": "mine"}, "secret"),
        ("patch", {"secret": "whsec_not*base64"}, "secret"),
        ("patch", {"secret": "whsec_" + base64.b64encode(b"short").decode()}, "secret"),
        ("patch", {"secret": hook["secret"]}, "secret"),
        ("patch", {"previous_secret_expires_at": iso(utcnow())}, "previous_secret_expires_at"),
        ("patch", {"secret": _secret(), "previous_secret_expires_at": far}, "previous_secret_expires_at"),
        (
            "patch",
            {"secret": _secret(), "previous_secret_expires_at": "2030-01-01T00:00:00"},
            "previous_secret_expires_at",
        ),
        ("post", {"previous_secret_expires_at": far}, "previous_secret_expires_at"),
        ("post", {"previous_secret_expires_at": "9999-12-31T23:59:59-14:00"}, "previous_secret_expires_at"),
        ("post", {"previous_secret_expires_at": "0001-01-01T00:00:00+01:00"}, "previous_secret_expires_at"),
        ("post", {"secret": 42}, "secret"),
    ]
    for method, body, field in cases:
        target = url if method == "patch" else f"{url}/rotate-secret"
        response = client.request(method.upper(), target, json=body, headers=admin)

        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, body
    assert client.get(url, headers=admin).json()["previous_secret_expires_at"] is None


def test_rotation_needs_an_admin_key_and_a_known_subscription(client, session, admin):
    hook = _subscribe(client, admin, "https://example.org/hooks")
    writer = bearer(make_key(session, "content:write", name="cms"))

    assert client.post(f"/v1/webhooks/{hook['id']}/rotate-secret").status_code == 401
    assert client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=writer).status_code == 403
    assert client.post("/v1/webhooks/nope/rotate-secret", headers=admin).status_code == 404
