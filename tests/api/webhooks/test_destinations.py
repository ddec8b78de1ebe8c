"""Webhook destinations: nothing internal unless the operator opens it, checked at subscription
and again at every delivery; credentials never in a URL; a delivery log that tells nothing of
the network beyond what the receiver answered."""

import os
import socket
import threading

import pytest

from app.settings import get_settings
from app.store.models.webhook import Webhook
from tests.api.keys.test_keys import bearer, make_key
from tests.support.factories import make_article
from tests.support.webhook_receiver import Receiver, drive

INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:6379/",
    "http://127.1:6379/",
    "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://[::1]:8000/",
    "http://localhost:8000/hooks",
    "http://api.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://224.0.0.1/",
    "http://0.0.0.0/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
]


@pytest.fixture
def admin(session) -> dict[str, str]:
    return bearer(make_key(session, "admin"))


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def _allow(networks: str) -> None:
    os.environ["GAZETTE_WEBHOOK_ALLOWED_NETWORKS"] = networks
    get_settings.cache_clear()


@pytest.fixture
def closed():
    """No network opened: the default of a server, which the test settings change."""
    opened = os.environ["GAZETTE_WEBHOOK_ALLOWED_NETWORKS"]
    _allow("")
    yield
    _allow(opened)


def _deliveries(client, admin, webhook_id: str) -> list[dict]:
    return client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=admin).json()["data"]


def _subscribe(client, admin, url: str) -> dict:
    response = client.post("/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def test_internal_destinations_are_refused_with_a_422_naming_url(client, admin, closed):
    hook = _subscribe(client, admin, "https://example.org/hooks")

    for url in INTERNAL:
        created = client.post("/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin)
        patched = client.patch(f"/v1/webhooks/{hook['id']}", json={"url": url}, headers=admin)

        for response in (created, patched):
            assert response.status_code == 422, (url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in response.json()["errors"]] == ["url"]
    assert [w["url"] for w in client.get("/v1/webhooks", headers=admin).json()["data"]] == ["https://example.org/hooks"]


def test_credentials_in_a_url_are_refused_and_never_shown(client, admin):
    for url in ("https://user:secret@example.org/hooks", "https://token@example.org/hooks"):
        response = client.post("/v1/webhooks", json={"url": url, "events": ["*"]}, headers=admin)

        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "url"
    assert client.get("/v1/webhooks", headers=admin).json()["data"] == []


def test_credentials_stored_before_they_were_refused_are_never_shown_nor_sent(client, session, admin, receiver):
    receiver.start()
    legacy = f"http://user:secret@127.0.0.1:{receiver.port}/hooks/gazette"
    session.add(Webhook(id="01legacywebhook00000000000", url=legacy, events=["*"], secret="whsec_" + "A" * 43 + "="))
    session.commit()
    make_article(session)
    drive(lambda: _deliveries(client, admin, "01legacywebhook00000000000")[0]["attempts"] >= 1)

    shown = client.get("/v1/webhooks", headers=admin).json()["data"]

    assert [w["url"] for w in shown] == [f"http://127.0.0.1:{receiver.port}/hooks/gazette"]
    assert _deliveries(client, admin, "01legacywebhook00000000000")[0]["last_error"] == "refused by policy"
    assert receiver.requests == []


def test_the_allow_list_opens_what_the_operator_names(client, admin, closed):
    refused = client.post("/v1/webhooks", json={"url": "http://10.1.2.3/x", "events": ["*"]}, headers=admin)
    _allow("10.1.0.0/16")
    opened = client.post("/v1/webhooks", json={"url": "http://10.1.2.3/x", "events": ["*"]}, headers=admin)
    elsewhere = client.post("/v1/webhooks", json={"url": "http://10.2.0.1/x", "events": ["*"]}, headers=admin)

    assert refused.status_code == 422
    assert opened.status_code == 201
    assert elsewhere.status_code == 422


def test_each_delivery_checks_its_destination_again_and_logs_a_refusal(client, session, admin, receiver):
    hook = _subscribe(client, admin, receiver.url)  # allowed when subscribed
    receiver.start()
    make_article(session)
    _allow("")
    try:
        drive(lambda: _deliveries(client, admin, hook["id"])[0]["attempts"] >= 1)
    finally:
        _allow("127.0.0.0/8,::1/128")
    refused = _deliveries(client, admin, hook["id"])[0]
    drive(lambda: _deliveries(client, admin, hook["id"])[0]["status"] == "delivered")

    assert refused["status"] == "failed" and refused["last_error"] == "refused by policy"
    assert refused["log"][0] == {**refused["log"][0], "status_code": None, "error": "refused by policy"}
    assert len(receiver.received()) == 1  # only once it was allowed again


def _listening(answer: bytes | None) -> tuple[socket.socket, int]:
    """A TCP port on loopback that accepts and then says `answer` (not HTTP) or nothing, and closes."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if answer is not None:
                    conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_the_delivery_log_does_not_tell_an_open_port_from_a_closed_one(client, session, admin):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens there once the socket is closed
    redis_like, redis_port = _listening(b"-ERR unknown command 'POST'\r\n")
    silent, silent_port = _listening(None)
    hooks = [_subscribe(client, admin, f"http://127.0.0.1:{port}/") for port in (closed_port, redis_port, silent_port)]
    try:
        make_article(session)
        drive(lambda: all(_deliveries(client, admin, h["id"])[0]["attempts"] >= 1 for h in hooks))
    finally:
        redis_like.close()
        silent.close()

    logged = [_deliveries(client, admin, h["id"])[0] for h in hooks]
    outcomes = {(d["last_status_code"], d["last_error"], d["log"][0]["duration_ms"]) for d in logged}
    assert len(outcomes) == 1, outcomes
    status_code, error, duration = outcomes.pop()
    assert status_code is None and duration == 0 and "refused" not in error.lower()


def test_a_redirect_is_not_followed(client, session, admin, receiver):
    elsewhere = Receiver().start()
    try:
        receiver.status, receiver.answer_headers = 307, {"location": elsewhere.url}
        receiver.start()
        hook = _subscribe(client, admin, receiver.url)
        make_article(session)
        drive(lambda: _deliveries(client, admin, hook["id"])[0]["attempts"] >= 1)

        assert _deliveries(client, admin, hook["id"])[0]["last_error"] == "HTTP 307"
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_a_delivery_goes_to_the_checked_address_with_the_name_in_the_host_header(client, session, admin, receiver):
    receiver.start()
    _subscribe(client, admin, f"http://localhost:{receiver.port}/hooks/gazette")
    make_article(session)

    drive(lambda: len(receiver.received()) == 1)

    headers = {name.lower(): value for name, value in receiver.received()[0]["headers"].items()}
    assert headers["host"] == f"localhost:{receiver.port}"
