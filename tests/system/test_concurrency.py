"""No lost update: many writers PATCHing one article at once, each with the version it read."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx
import pytest

from tests.support.editorial import create, desk
from tests.support.processes import gazette_process

WRITERS = 12
ROUNDS = 4


def _race(base_url: str, headers: dict[str, str], article_id: str) -> list[tuple[int, int | None, str]]:
    """Every writer reads the article, then all PATCH at once, round after round.
    Returns (status, version written, standfirst sent) for every attempt."""
    barrier = Barrier(WRITERS)

    def writer(n: int) -> list[tuple[int, int | None, str]]:
        attempts = []
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            for round_ in range(ROUNDS):
                version = client.get(f"/v1/articles/{article_id}").json()["version"]
                text = f"writer {n}, round {round_}"
                barrier.wait()
                response = client.patch(
                    f"/v1/articles/{article_id}",
                    json={"standfirst": text},
                    headers={"If-Match": f'"{version}"', "Content-Type": "application/merge-patch+json"},
                )
                written = response.json().get("version") if response.status_code == 200 else None
                attempts.append((response.status_code, written, text))
        return attempts

    with ThreadPoolExecutor(WRITERS) as pool:
        return [a for attempts in pool.map(writer, range(WRITERS)) for a in attempts]


@pytest.mark.postgres
def test_concurrent_writers_lose_nothing_silently(client, session):
    headers = desk(session)
    article = create(client, headers, standfirst="origin")

    attempts = _race(str(client.base_url), headers, article["id"])

    accepted = sorted((version, text) for status, version, text in attempts if status == 200)
    assert {status for status, _, _ in attempts} <= {200, 412}
    assert len(accepted) >= ROUNDS and len({v for v, _ in accepted}) == len(accepted)
    history = client.get(f"/v1/articles/{article['id']}/revisions", headers=headers).json()["data"]
    assert [r["number"] for r in history] == list(range(len(accepted) + 1, 0, -1))
    for version, text in accepted:
        snapshot = client.get(f"/v1/articles/{article['id']}/revisions/{version}", headers=headers).json()["snapshot"]
        assert snapshot["standfirst"] == text
    final = client.get(f"/v1/articles/{article['id']}", headers=headers).json()
    assert (final["version"], final["standfirst"]) == accepted[-1]


def test_concurrent_writers_on_any_engine_get_200_or_412_never_an_error(client, session):
    headers = desk(session)
    article = create(client, headers)

    attempts = _race(str(client.base_url), headers, article["id"])

    assert {status for status, _, _ in attempts} <= {200, 412}
    assert any(status == 200 for status, _, _ in attempts)


@pytest.mark.slow
def test_more_writers_than_database_connections_all_get_through(database_url, client, session):
    """A server with a pool of two connections (one, plus one overflow, on PostgreSQL) and
    twelve writes at once: a request that held one connection while waiting for another
    would leave them all waiting on each other until the pool gave up."""
    headers = desk(session)
    articles = [create(client, headers, title=f"Article {n}") for n in range(WRITERS)]
    with gazette_process(database_url, GAZETTE_POOL_SIZE="1") as url:
        barrier = Barrier(WRITERS)

        def write(article: dict) -> int:
            with httpx.Client(base_url=url, headers=headers, timeout=20) as writer:
                barrier.wait()
                return writer.patch(
                    f"/v1/articles/{article['id']}",
                    json={"kicker": "Urgent"},
                    headers={"If-Match": f'"{article["version"]}"', "Content-Type": "application/merge-patch+json"},
                ).status_code

        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = list(pool.map(write, articles))

    assert statuses == [200] * WRITERS
    assert {client.get(f"/v1/articles/{a['id']}", headers=headers).json()["kicker"] for a in articles} == {"Urgent"}
