"""`gazette import --jobs N` (app/transfer/parallel.py): on PostgreSQL, batches of article lines
are written side by side by several processes, and leave what one process leaves; any other
batch waits for them and is written in its place. On SQLite the command stays in one process."""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
from sqlalchemy import text

from tests.api.transfer.test_bulk_import import _archive
from tests.conftest import IS_POSTGRES, reset_database
from tests.support.factories import bearer, make_key
from tests.support.processes import ROOT

ID = re.compile(rb'"[0-9a-z]{26}"')
BATCH = 40  # --batch-lines, so that a few hundred lines make several batches
CLONES = 3 * BATCH + 15  # four batches of articles, the last one short


def _file(client, session, path: Path) -> tuple[list[bytes], int, bytes]:
    """An export's lines before its articles, then CLONES articles made from one of them, an
    English one, the translation group of the first and the English one (a batch that must
    wait for those before it), a line with no title (an error, named), and more articles
    after it. Returns the lines, the bad line's number, and the group's line."""
    head, articles = _archive(client, session, 2)
    template = orjson.loads(articles[-1])

    def clone(n: int, **changes) -> bytes:
        line = copy.deepcopy(template)
        data = line["data"]
        data.update(external_id=f"clone-{n}", slug=f"clone-{n}", title=f"Dépêche {n}", **changes)
        for i, quote in enumerate(data.get("quotes", [])):
            quote.pop("id", None)
            quote["external_id"] = f"clone-{n}-{i}" if quote.get("external_id") else None
        return orjson.dumps(line)

    clones = [clone(n) for n in range(CLONES)] + [clone(CLONES, language="en")]
    group = orjson.dumps({"data": {"articles": ["clone-0", f"clone-{CLONES}"]}, "type": "translation_group"})
    bad = orjson.loads(clone(CLONES + 1))
    del bad["data"]["title"]
    after = [clone(n) for n in range(CLONES + 2, CLONES + 12)]
    lines = [*head, *articles, *clones, group, orjson.dumps(bad), *after]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return lines, len(head) + len(articles) + len(clones) + 2, group


def _import(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAZETTE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "app.cli", "import", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _exported(client, session) -> list[bytes]:
    """Every line of a full export, the ids an import makes anew masked, in order."""
    reader = bearer(make_key(session, "content:read", name="reader"))
    response = client.get("/v1/export", headers=reader)
    assert response.status_code == 200, response.text
    return [ID.sub(b'"id"', line) for line in response.content.splitlines()]


def test_batches_written_side_by_side_leave_what_one_process_leaves(client, session, database_url, tmp_path):
    path = tmp_path / "archive.ndjson"
    lines, bad_line, group = _file(client, session, path)

    reset_database()
    side_by_side = _import(database_url, "--jobs", "2", "--batch-lines", str(BATCH), str(path))
    state = _exported(client, session)
    # Each worker built the stored documents of what it wrote, as one process does at each commit.
    public = client.get("/v1/articles", params={"limit": 1, "count": "true"}).json()["meta"]["total"]
    stored = session.execute(text("SELECT count(*) FROM article_document")).scalar_one()
    session.commit()  # its snapshot let go: the reset below empties the tables
    reset_database()
    one = _import(database_url, "--jobs", "1", "--batch-lines", str(BATCH), str(path))

    # The same report, the bad line named by its number; exit status 1 for it.
    summary = f"{len(lines) - 1} created, 0 updated, 0 unchanged, 1 errors."
    said = [run.stdout + run.stderr for run in (side_by_side, one)]  # the console writes to stderr
    for run, output in zip((side_by_side, one), said, strict=True):
        assert run.returncode == 1, output
        assert summary in output and f"line {bad_line} data.title" in output
    assert ("in 2 processes" in said[0]) == IS_POSTGRES
    # The same content (ids masked): articles written side by side are listed in the order of
    # their ids, which interleave between neighbouring batches; one process keeps the file's.
    assert sorted(state) == sorted(_exported(client, session))
    assert len(state) == len(lines) - 1
    # The group's line, written after the batches that made its articles, found them both.
    assert group in state
    assert stored == public > CLONES
