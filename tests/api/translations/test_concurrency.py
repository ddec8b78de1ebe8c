"""Writes to several members of one translation group at once: each takes the group's
original row first (app/articles/translations.py `hold_group`), so two of them never wait on
each other's member rows and PostgreSQL never picks one as a deadlock victim (a 503)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.editorial import create, desk

WRITERS = 8
ROUNDS = 6


def _write(base_url: str, headers: dict[str, str], article_id: str, n: int, *, toggles: bool) -> list[int]:
    """ROUNDS writes to one member, on a client of its own: kickers, and (`toggles`: one writer
    a member, so that no other finds it published already) an unpublish and a publish."""
    statuses = []
    with httpx.Client(base_url=base_url, timeout=60) as c:
        for r in range(ROUNDS):
            if toggles and r == ROUNDS // 2:
                response = c.post(f"/v1/articles/{article_id}/unpublish", headers=headers)
                statuses.append(response.status_code)
                response = c.post(f"/v1/articles/{article_id}/publish", headers=headers)
            else:
                response = c.patch(
                    f"/v1/articles/{article_id}",
                    json={"kicker": f"Écrit {n}.{r}"},
                    headers={**headers, "Content-Type": "application/merge-patch+json", "If-Match": "*"},
                )
            statuses.append(response.status_code)
    return statuses


@pytest.mark.postgres
def test_simultaneous_writes_to_members_of_one_group_all_succeed(client, session, server):
    headers = desk(session)
    fr = create(client, headers, title="La réforme", language="fr", status="published")
    en = create(client, headers, title="The reform", language="en", status="published", translation_of=fr["id"])
    de = create(client, headers, title="Die Reform", language="de", status="published", translation_of=fr["id"])
    members = [fr["id"], en["id"], de["id"]]
    with ThreadPoolExecutor(WRITERS) as pool:
        runs = [
            pool.submit(_write, server, headers, members[n % len(members)], n, toggles=n < len(members))
            for n in range(WRITERS)
        ]
        statuses = Counter(s for run in runs for s in run.result(timeout=300))

    assert set(statuses) == {200}, statuses
    # Consistent afterwards: every member public, each showing the other two, and the stored
    # document (what a public read answers) equal to the live build.
    for article_id in members:
        public = client.get(f"/v1/articles/{article_id}")
        assert public.status_code == 200
        keyed = client.get(f"/v1/articles/{article_id}", headers=headers).json()
        assert sorted(t["id"] for t in public.json()["translations"]) == sorted(set(members) - {article_id})
        assert public.json()["translations"] == keyed["translations"]
        assert keyed["version"] > 1
