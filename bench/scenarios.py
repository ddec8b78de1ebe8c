"""What the scenarios need before wrk starts: sampled articles, the deep cursor, a write plan."""

import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import loadgen
from sqlalchemy import bindparam, create_engine, text

from app.store.engine import normalise_url

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "status = 'published' AND deleted_at IS NULL"
# wrk asks for no content-coding, so the runner's own requests ask for none either: the same
# bytes, and the ETag of the identity representation.
IDENTITY = {"Accept-Encoding": "identity"}


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} × {cpu}, {mem_kb / 1024 / 1024:.0f} GiB, Python {platform.python_version()}"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def working_tree_commit() -> str:
    dirty = _git("status", "--porcelain", "app", "migrations")
    return _git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")


def export_commit(revision: str, into: Path) -> str:
    """Gazette as of `revision`, unpacked in `into`, so that others' half-done edits in the
    working tree do not end up in the measurement; returns the short hash."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True)
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return _git("rev-parse", "--short", revision)


@dataclass
class Context:
    """The database under test and the articles the scenarios use."""

    engine: str
    articles: int
    hot_id: str
    category: str
    sample_ids: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, database_url: str, *, seed: int, sample: int = 5000) -> "Context":
        engine = create_engine(normalise_url(database_url))
        try:
            with engine.connect() as c:
                # Ids alone come off the primary-key index; sampling them in Python avoids
                # ORDER BY random() over a table of a million bodies.
                ids = list(c.execute(text("SELECT id FROM article")).scalars())
                picked = random.Random(seed).sample(ids, min(len(ids), sample * 2))
                public = set(c.execute(_public_among(picked)).scalars())
                sample_ids = [i for i in picked if i in public][:sample]
                hot_id = c.execute(
                    text(
                        f"SELECT a.id FROM article a WHERE {PUBLIC} "
                        "AND EXISTS (SELECT 1 FROM quote q WHERE q.article_id = a.id) "
                        "AND EXISTS (SELECT 1 FROM attribution t WHERE t.article_id = a.id) "
                        "ORDER BY a.published_at DESC LIMIT 1"
                    )
                ).scalar_one()
                category = c.execute(
                    text(
                        "SELECT p.slug FROM category p WHERE p.parent_id IS NULL AND EXISTS "
                        "(SELECT 1 FROM category s WHERE s.parent_id = p.id) ORDER BY p.position LIMIT 1"
                    )
                ).scalar_one()
            return cls(engine.dialect.name, len(ids), hot_id, category, sample_ids)
        finally:
            engine.dispose()

    def describe(self) -> dict:
        return {
            "engine": self.engine,
            "articles": self.articles,
            "hot_id": self.hot_id,
            "category": self.category,
            "machine": machine(),
        }


def _public_among(ids: list[str]):
    return text(f"SELECT id FROM article WHERE {PUBLIC} AND id IN :ids").bindparams(
        bindparam("ids", value=ids, expanding=True)
    )


def walk_cursor(base: str, first: str, *, pages: int, budget: float) -> tuple[int, str]:
    """Follow next_cursor from `first` to page `pages` (or as deep as the list or the time
    budget allows); returns the page reached and its path."""
    deadline = time.monotonic() + budget
    page, path = 1, first
    with httpx.Client(base_url=base, timeout=30, headers=IDENTITY) as client:
        while page < pages and time.monotonic() < deadline:
            # fields=id trims what each page carries, not which articles it holds: the walk
            # is quicker and its cursors are the ones the full pages give.
            meta = client.get(path + "&fields=id").raise_for_status().json()["meta"]
            if not meta["has_more"]:
                break
            page, path = page + 1, f"{first}&cursor={meta['next_cursor']}"
    return page, path


def _create_key(database_url: str, root: Path) -> str | None:
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "keys",
        "create",
        "--name",
        "bench",
        "--scopes",
        "content:write,content:publish",
    ]
    done = subprocess.run(
        command,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GAZETTE_DATABASE_URL": database_url},
    )
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return lines[-1] if done.returncode == 0 and lines else None


@dataclass
class MixedPlan:
    """The Lua script of the mixed load, or why it cannot run; and what to note about it."""

    script: str | None
    note: str = ""


def _patch(client: httpx.Client, article_id: str, key: str, if_match: str) -> httpx.Response:
    return client.patch(
        f"/v1/articles/{article_id}",
        content=b'{"kicker":"bench probe"}',
        headers={
            "Authorization": f"Bearer {key}",
            "If-Match": if_match,
            "Content-Type": "application/merge-patch+json",
        },
    )


def prepare_mixed(
    base: str, database_url: str, ctx: Context, *, root: Path, writers: int, per_writer: int = 50
) -> MixedPlan:
    """A key, the writers' articles and their validators, checked by one probe PATCH."""
    unavailable = "writes API not available"
    spec = httpx.get(base + "/openapi.json", timeout=30, headers=IDENTITY).json()
    if "patch" not in spec.get("paths", {}).get("/v1/articles/{article_id}", {}):
        return MixedPlan(None, f"{unavailable} (no PATCH /v1/articles/{{id}})")
    key = _create_key(database_url, root)
    if key is None:
        return MixedPlan(None, f"{unavailable} (`gazette keys create` failed)")
    write_ids = ctx.sample_ids[-writers * per_writer :]
    etags: dict[str, str] = {}
    versions: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=30, headers=IDENTITY) as client:
        for article_id in write_ids:
            answer = client.get(f"/v1/articles/{article_id}")
            if not answer.headers.get("etag"):
                return MixedPlan(None, "articles carry no ETag, so If-Match is impossible")
            etags[article_id] = answer.headers["etag"]
            versions[article_id] = answer.json()["version"]
        probe, note, by_version = write_ids[0], "", False
        answer = _patch(client, probe, key, etags[probe])
        if answer.status_code == 412:
            # The contract says If-Match takes the ETag last read; when the GET's ETag is
            # refused, fall back to the bare version ("3") that write responses carry.
            answer = _patch(client, probe, key, f'"{versions[probe]}"')
            note, by_version = "If-Match sent as the version: the GET's ETag got 412", True
        if answer.status_code != 200:
            return MixedPlan(None, f"a probe PATCH answered {answer.status_code}: {answer.text[:160]}")
        etags[probe] = answer.headers.get("etag") or etags[probe]
        versions[probe] = answer.json()["version"]
    script = loadgen.mixed(ctx.sample_ids, write_ids, etags, versions, key, writers, by_version=by_version)
    return MixedPlan(script, note)
