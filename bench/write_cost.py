"""CPU per PATCH of an article, in process, for the working tree against a git revision.

    python bench/write_cost.py --database-url sqlite:////tmp/bench/s20k.db --baseline 521e1b7

The mixed load's p99 is set by what one write costs the server's single core (bench/README.md),
and wrk's figures move by a quarter between two runs on a shared machine. This measures that
cost alone: each round runs one child process per code (the revision first, then the working
tree), each doing a few hundred one-field PATCHes as the endpoint does them (the service
call, the answer's document, the commit), and printing its own CPU time per write
(`time.process_time`, the process's user and system time). SQLite databases are copied
first, so every child starts from the same file; a PostgreSQL database is written to. Prints
each round and the medians, and their ratio.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenarios import export_commit

from app.store.engine import normalise_url

CHILD = """
import json, sys, time
from sqlalchemy import select
import os
import app
root = os.path.dirname(app.__file__)
if os.path.isdir(os.path.join(root, "http")):  # the layout by domain
    from app.http.conditional import written
    from app.store.sessions import write_session
    from app.store.models import ApiKey, Article
    from app.articles import writes as article_writes, reads as articles
    from app import wiring
    wiring.install()
elif os.path.isdir(os.path.join(root, "store")):  # the layout by capability
    from app.api.conditional import written
    from app.store.sessions import write_session
    from app.store.models import ApiKey, Article
    from app.articles import article_writes, articles
else:  # a revision from before it (app/services/, app/db.py)
    from app.api.conditional import written
    from app.db import write_session
    from app.models import ApiKey, Article
    from app.services import article_writes, articles

ids, writes, warmup = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
with write_session() as s:
    key = s.scalars(select(ApiKey)).first()
    versions = {i: s.get(Article, i).version for i in ids}

def one(n):
    i = ids[n % len(ids)]
    with write_session() as s:
        a = article_writes.update(s, i, {"kicker": f"write {n}"}, if_match=f'"{versions[i]}"', key=key)
        written(articles.represent_written(s, a), status_code=200, location=None)
        s.commit()
        versions[i] = a.version

for n in range(warmup):
    one(n)
start = time.process_time()
for n in range(warmup, warmup + writes):
    one(n)
print(json.dumps((time.process_time() - start) / writes * 1000))
"""


def _sample(database_url: str, count: int) -> list[str]:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as c:
            found = (
                c.execute(
                    text(
                        "SELECT id FROM article WHERE status = 'published' AND deleted_at IS NULL"
                        " ORDER BY id DESC LIMIT :n"
                    ),
                    {"n": count},
                )
                .scalars()
                .all()
            )
            if not c.execute(text("SELECT count(*) FROM api_key")).scalar():
                raise SystemExit("no API key in the database: run `gazette keys create` against it first")
    finally:
        engine.dispose()
    return list(found)


def _child(code: Path, database_url: str, ids: list[str], writes: int, warmup: int, scratch: Path) -> float:
    url = database_url
    if database_url.startswith("sqlite:///"):
        source = Path(database_url.removeprefix("sqlite:///"))
        copy = scratch / "copy.db"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{copy}{suffix}")
        url = f"sqlite:///{copy}"
    env = {**os.environ, "PYTHONPATH": str(code), "GAZETTE_DATABASE_URL": url, "GAZETTE_RUN_BACKGROUND_JOBS": "false"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(ids), str(writes), str(warmup)],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the child for {code} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--baseline", required=True, help="a git revision to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--writes", type=int, default=400, help="PATCHes measured per child")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--articles", type=int, default=50, help="articles the PATCHes go round")
    args = parser.parse_args()

    ids = _sample(args.database_url, args.articles)
    with tempfile.TemporaryDirectory(prefix="gazette-write-cost-") as tmp:
        scratch = Path(tmp)
        baseline = scratch / "baseline"
        label = export_commit(args.baseline, baseline)
        results: dict[str, list[float]] = {label: [], "working tree": []}
        for round_ in range(1, args.rounds + 1):
            before = _child(baseline, args.database_url, ids, args.writes, args.warmup, scratch)
            after = _child(ROOT, args.database_url, ids, args.writes, args.warmup, scratch)
            results[label].append(before)
            results["working tree"].append(after)
            print(f"round {round_}: {label} {before:.2f} ms, working tree {after:.2f} ms of CPU per PATCH")
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"medians: {label} {medians[label]:.2f} ms, working tree {medians['working tree']:.2f} ms;"
        f" working tree / {label} = {medians['working tree'] / medians[label]:.2f}"
    )


if __name__ == "__main__":
    main()
