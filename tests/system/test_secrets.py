"""The signing key of preview tokens: never a published default. Unset, the server makes its
own at its first start and keeps it in the database, so every process shares it; set, it wins."""

import os
import subprocess
import sys

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlmodel import Session

from app.store.engine import get_engine
from app.store.models.common import utcnow
from app.store.models.secret import ServerSecret
from tests.support.editorial import create, desk
from tests.support.processes import ROOT, gazette_process

pytestmark = pytest.mark.slow


def _stored_keys() -> list[str]:
    with Session(get_engine()) as s:
        return list(s.scalars(select(ServerSecret.value)))


def test_processes_without_a_secret_key_make_one_keep_it_and_share_it(database_url, session):
    with Session(get_engine()) as s:  # as on a new database: no key made yet
        s.execute(delete(ServerSecret))
        s.commit()
    headers = desk(session)
    assert "GAZETTE_SECRET_KEY" not in os.environ  # the processes below inherit this environment

    with gazette_process(database_url) as one, httpx.Client(base_url=one, timeout=10) as a:
        article = create(a, headers, title="Brouillon partagé")
        token = a.post(f"/v1/articles/{article['id']}/preview-token", headers=headers).json()["token"]
    keys = _stored_keys()
    with gazette_process(database_url) as two, httpx.Client(base_url=two, timeout=10) as b:
        opened = b.get(f"/v1/articles/{article['id']}", params={"preview": token})

    assert len(keys) == 1 and len(keys[0]) >= 60 and _stored_keys() == keys  # made once, kept
    assert opened.status_code == 200 and opened.json()["title"] == "Brouillon partagé"
    # What the server signs with is the kept key, and nothing published.
    payload = URLSafeTimedSerializer(keys[0], salt="gazette.article-preview").loads(token)
    assert payload["article"] == article["id"] and payload["exp"] > utcnow().timestamp()


def test_an_explicit_secret_key_wins_over_the_kept_one(database_url, session):
    explicit = "an-operator-chosen-key-of-forty-characters"
    headers = desk(session)
    with gazette_process(database_url, GAZETTE_SECRET_KEY=explicit) as url, httpx.Client(base_url=url) as c:
        article = create(c, headers)
        token = c.post(f"/v1/articles/{article['id']}/preview-token", headers=headers).json()["token"]

    assert URLSafeTimedSerializer(explicit, salt="gazette.article-preview").loads(token)["article"] == article["id"]


@pytest.mark.parametrize("value", ["change-me-in-production", "short"])
def test_the_server_refuses_to_start_with_the_old_default_or_a_short_key(database_url, value):
    env = {**os.environ, "GAZETTE_DATABASE_URL": database_url, "GAZETTE_SECRET_KEY": value}

    started = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "1", "--no-migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode != 0
    assert "GAZETTE_SECRET_KEY" in started.stderr
