"""`gazette mirror` against a real `gazette serve`: random writes through the API while the
mirror follows the change stream, the mirror killed (SIGKILL) at random points and started
again, and afterwards the mirror holds exactly what the public API shows, on every list, in
every type's public read shape, and the site settings."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

from tests.support.factories import bearer, make_key
from tests.support.processes import ROOT, free_port, gazette_serve

LISTS = {
    "articles": "/v1/articles",
    "quotes": "/v1/quotes",
    "categories": "/v1/categories",
    "people": "/v1/people",
    "sources": "/v1/sources",
    "tags": "/v1/tags",
    "authors": "/v1/authors",
}
FOLLOW = ("--follow", "--key")
SLUGGED = {"categories", "people", "sources", "tags", "authors"}


def _start_mirror(url: str, database: Path, key: str, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "mirror", "--api-url", url, "--database", str(database), *FOLLOW, key],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


def _tail(client: httpx.Client) -> str:
    meta = client.get("/v1/changes", params={"limit": 1000}).json()["meta"]
    while meta["has_more"]:
        meta = client.get("/v1/changes", params={"limit": 1000, "since": meta["next_cursor"]}).json()["meta"]
    return meta["next_cursor"]


def _mirror_state(database: Path) -> dict[str, str]:
    try:
        with sqlite3.connect(database) as db:
            return dict(db.execute("SELECT name, value FROM mirror_state").fetchall())
    except sqlite3.Error:
        return {}


def _started(mirror: subprocess.Popen, log: Path, starts: int) -> None:
    """Wait until the mirror process has started its work (the command takes seconds to load)."""
    deadline = time.monotonic() + 90
    while log.read_text().count("Mirroring") < starts:
        assert mirror.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the mirror did not start"
        time.sleep(0.1)


def _public(client: httpx.Client) -> dict[str, dict[str, dict]]:
    """Every type's full public list, paged; each item in its read shape (GET by id or slug)."""
    shown: dict[str, dict[str, dict]] = {}
    for table, path in LISTS.items():
        items: list[dict] = []
        params: dict = {"limit": 100} if table != "categories" else {}
        while True:
            body = client.get(path, params=params).raise_for_status().json()
            items += body["data"]
            if not body["meta"]["has_more"]:
                break
            params = {"limit": 100, "cursor": body["meta"]["next_cursor"]}
        shown[table] = {}
        for item in items:
            one = client.get(f"{path}/{item['slug'] if table in SLUGGED else item['id']}")
            assert one.status_code == 200, one.text
            read = one.json()
            assert {k: read[k] for k in item if k in read} == item  # the list shows the read shape's values
            shown[table][item["id"]] = read
    return shown


def _mirrored(database: Path) -> tuple[dict[str, dict[str, dict]], dict[str, dict]]:
    with sqlite3.connect(database) as db:
        tables = {t: {i: orjson.loads(d) for i, d in db.execute(f"SELECT id, data FROM {t}")} for t in LISTS}
        settings = {n: orjson.loads(d) for n, d in db.execute("SELECT name, data FROM site_settings")}
    return tables, settings


class Writer:
    """Random writes through the API, as an editor would make them."""

    def __init__(self, client: httpx.Client, key: str, rng: random.Random) -> None:
        self.client, self.h, self.rng, self.n = client, bearer(key), rng, 0
        self.articles: list[str] = []

    def _ok(self, response: httpx.Response) -> dict:
        assert response.status_code in (200, 201, 204), (response.request.method, response.request.url, response.text)
        return response.json() if response.content else {}

    def _slug(self, path: str) -> str:
        data = self.client.get(path, params={} if path.endswith("categories") else {"limit": 100}).json()["data"]
        return self.rng.choice(data)["slug"]

    def create_article(self) -> None:
        self.n += 1
        category = self._slug("/v1/categories")
        article = self._ok(
            self.client.post(
                "/v1/articles",
                headers=self.h,
                json={
                    "title": f"Article {self.n}",
                    "status": "published",
                    "category": category,
                    "tags": [self._slug("/v1/tags")],
                    "authors": [self._slug("/v1/authors")],
                    "quotes": [
                        {
                            "text": f"Quote {self.n}.",
                            "speaker": self._slug("/v1/people"),
                            "source": self._slug("/v1/sources"),
                        }
                    ],
                    "body": [{"type": "paragraph", "text": f"Body {self.n}."}, {"type": "quote", "quote": 0}],
                },
            )
        )
        self.articles.append(article["id"])

    def _article(self) -> str | None:
        return self.rng.choice(self.articles) if self.articles else None

    def patch_article(self) -> None:
        if article := self._article():
            patch = self.rng.choice(
                [{"title": f"Retitled {self.rng.random():.6f}"}, {"category": self._slug("/v1/categories")}]
            )
            self._ok(self.client.patch(f"/v1/articles/{article}", json=patch, headers={**self.h, "If-Match": "*"}))

    def unpublish_or_publish(self) -> None:
        if article := self._article():
            status = self.client.get(f"/v1/articles/{article}", headers=self.h).json().get("status")
            action = "unpublish" if status == "published" else "publish"
            response = self.client.post(f"/v1/articles/{article}/{action}", headers={**self.h, "If-Match": "*"})
            assert response.status_code in (200, 404, 409), response.text

    def delete_article(self) -> None:
        if article := self._article():
            self.articles.remove(article)
            self._ok(self.client.delete(f"/v1/articles/{article}", headers={**self.h, "If-Match": "*"}))

    def rename(self) -> None:
        path = self.rng.choice(["/v1/people", "/v1/categories", "/v1/tags", "/v1/authors", "/v1/sources"])
        slug = self._slug(path)
        self.n += 1
        patch = {"name": f"Renamed {self.n}"} | ({"slug": f"renamed-{self.n}"} if self.rng.random() < 0.5 else {})
        self._ok(self.client.patch(f"{path}/{slug}", json=patch, headers={**self.h, "If-Match": "*"}))

    def comments(self) -> None:
        enabled = self.rng.random() < 0.5
        body = {"enabled": enabled, "reason": None if enabled else f"Closed {self.n}"}
        self._ok(self.client.put("/v1/settings/comments", json=body, headers=self.h))

    def import_lines(self) -> None:
        self.n += 1
        lines = [
            {"type": "tag", "data": {"slug": f"imported-{self.n}", "name": f"Imported {self.n}"}},
            {
                "type": "article",
                "data": {
                    "external_id": f"imported-{self.n}",
                    "title": f"Imported {self.n}",
                    "status": "published",
                    "published_at": "2020-01-01T00:00:00Z",
                    "tags": [f"imported-{self.n}"],
                    "body": [{"type": "paragraph", "text": "Imported."}],
                },
            },
        ]
        body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
        response = self.client.post(
            "/v1/import", content=body, headers={**self.h, "Content-Type": "application/x-ndjson"}
        )
        assert response.status_code == 200 and not response.json()["errors"], response.text

    def setup(self) -> None:
        for path, names in (
            ("/v1/categories", ["Monde", "Europe", "Sport"]),
            ("/v1/tags", ["Climat", "Élections"]),
            ("/v1/authors", ["Ana Lima", "Jo Vidal"]),
            ("/v1/people", ["Marc Dubois", "Inès Haddad"]),
            ("/v1/sources", ["AFP"]),
        ):
            for name in names:
                self._ok(self.client.post(path, json={"name": name}, headers=self.h))
        for _ in range(3):
            self.create_article()

    def step(self) -> str:
        ops = [
            (self.create_article, 4),
            (self.patch_article, 4),
            (self.unpublish_or_publish, 2),
            (self.delete_article, 1),
            (self.rename, 3),
            (self.comments, 1),
            (self.import_lines, 1),
        ]
        op = self.rng.choices([o for o, _ in ops], weights=[w for _, w in ops])[0]
        op()
        return op.__name__


def test_the_mirror_equals_the_public_api_after_random_writes_and_kills(database_url, session, tmp_path):
    seed = int(os.environ.get("GAZETTE_TEST_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    key = make_key(session, "content:read", "content:write", "content:publish", "admin")
    database, log = tmp_path / "mirror.db", tmp_path / "mirror.log"
    # Its redirects (a renamed slug's 301) lead back to it, as GAZETTE_API_URL says where it is.
    port = free_port()
    with (
        gazette_serve(database_url, GAZETTE_API_URL=f"http://127.0.0.1:{port}", port=port) as (url, served_log),
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        writer = Writer(client, key, rng)
        writer.setup()
        mirror = _start_mirror(url, database, key, log)
        kills, done = 0, []
        try:
            for i in range(40):
                done.append(writer.step())
                if rng.random() < 0.12 or (i in (5, 25) and kills < (1 if i == 5 else 2)):
                    _started(mirror, log, kills + 1)
                    time.sleep(rng.random() * 1.5)  # wherever it is: walking the lists, catching up, streaming
                    mirror.send_signal(signal.SIGKILL)
                    mirror.wait()
                    kills += 1
                    mirror = _start_mirror(url, database, key, log)
            tail = _tail(client)
            deadline = time.monotonic() + 180
            while (state := _mirror_state(database)).get("cursor") != tail or "walked" not in state:
                assert mirror.poll() is None, log.read_text()
                assert time.monotonic() < deadline, (
                    f"the mirror did not catch up (seed {seed}): {log.read_text()} {served_log.read_text()}"
                )
                time.sleep(0.2)
        finally:
            mirror.terminate()
            mirror.wait(timeout=30)

        public = _public(client)
        mirrored, settings = _mirrored(database)
        for table in LISTS:
            assert mirrored[table] == public[table], f"{table} (seed {seed}, ops {done})"
        assert settings == {"comments": client.get("/v1/settings/comments", headers=bearer(key)).json()}
        assert kills >= 1 and all(public[t] for t in LISTS)

        # Run again once: it catches up to nothing and changes nothing.
        again = subprocess.run(
            [sys.executable, "-m", "app.cli", "mirror", "--api-url", url, "--database", str(database), "--once"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert again.returncode == 0, again.stderr
        assert "0 changes applied" in again.stderr
        assert _mirrored(database)[0] == mirrored
