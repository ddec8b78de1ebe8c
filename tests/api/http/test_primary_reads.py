"""Admin and editor reads (keys, webhooks, the comments switch, revisions) read the primary
without SQLite's write lock: a write in progress does not hold them up, nor they a write."""

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.articles import revisions
from app.keys import service as keys
from app.site import comments as site
from app.webhooks import delivery as webhook_delivery
from app.webhooks import outbox as webhooks
from tests.conftest import IS_POSTGRES
from tests.support.editorial import create
from tests.support.factories import bearer, make_key

PROMPT = 2.0  # seconds: a read or write that waited for the lock would take SQLite's busy timeout (10)
# Each read, and the function its route reads through (held open by the second test).
READS = [
    ("/v1/keys", keys, "list_keys"),
    ("/v1/webhooks", webhooks, "list_webhooks"),
    ("/v1/webhooks/{webhook}", webhooks, "get_webhook"),
    ("/v1/webhooks/{webhook}/deliveries", webhook_delivery, "list_deliveries"),
    ("/v1/settings/comments", site, "represent_comments"),
    ("/v1/articles/{article}/revisions", revisions, "list_for"),
    ("/v1/articles/{article}/revisions/1", revisions, "get"),
]


def _setting_up(client: httpx.Client, session) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """An admin and editor key, an article and a webhook; the URLs of READS for them."""
    headers = bearer(make_key(session, "admin", "content:read", "content:write", "content:publish"))
    article = create(client, headers)
    webhook = client.post(
        "/v1/webhooks", json={"url": "https://example.org/hook", "events": ["article.published"]}, headers=headers
    )
    assert webhook.status_code == 201, webhook.text
    ids = {"article": article["id"], "webhook": webhook.json()["id"]}
    return headers, article, {template: template.format(**ids) for template, _, _ in READS}


def _timed(call, *args: Any, timeout: float = PROMPT * 2, **kwargs: Any) -> tuple[int | str, float]:
    """(status or "timed out", seconds taken)."""
    started = time.monotonic()
    try:
        status: int | str = call(*args, timeout=timeout, **kwargs).status_code
    except httpx.TimeoutException:
        status = "timed out"
    return status, round(time.monotonic() - started, 2)


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite's write lock")
def test_admin_and_editor_reads_answer_while_another_connection_holds_the_write_lock(database_url, client, session):
    headers, _, urls = _setting_up(client, session)
    assert {url: client.get(url, headers=headers).status_code for url in urls.values()} == dict.fromkeys(
        urls.values(), 200
    )
    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # what a writer in another process holds while it writes

        answers = {url: _timed(client.get, url, headers=headers) for url in urls.values()}
    finally:
        holder.rollback()
        holder.close()

    slow = {url: answer for url, answer in answers.items() if answer[0] != 200 or answer[1] >= PROMPT}
    assert slow == {}


@pytest.mark.parametrize(("template", "module", "name"), READS, ids=[template for template, _, _ in READS])
def test_a_write_goes_through_while_an_admin_or_editor_read_is_in_progress(
    client, session, monkeypatch, template, module, name
):
    headers, article, urls = _setting_up(client, session)
    reading, written = threading.Event(), threading.Event()
    original = getattr(module, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        answer = original(*args, **kwargs)  # its statements ran: the read's transaction is open
        reading.set()
        written.wait(timeout=30)
        return answer

    monkeypatch.setattr(module, name, held)  # the test server runs in this process
    with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=client.base_url, headers=headers, timeout=30) as reader:
        read = pool.submit(reader.get, urls[template])
        try:
            assert reading.wait(timeout=10), "the read did not start"
            # Waited for to the end (a write that queued behind the read gives up after 20 s), so
            # that nothing of it is left running into the next test.
            write = _timed(
                client.patch,
                f"/v1/articles/{article['id']}",
                json={"standfirst": "Écrit pendant la lecture"},
                headers={**headers, "Content-Type": "application/merge-patch+json", "If-Match": '"1"'},
                timeout=30,
            )
        finally:
            written.set()
        assert read.result().status_code == 200

    assert write[0] == 200 and write[1] < PROMPT, write
    assert (
        client.get(f"/v1/articles/{article['id']}", headers=headers).json()["standfirst"] == "Écrit pendant la lecture"
    )
