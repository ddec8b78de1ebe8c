"""Whether a change to the search engine modules keeps the pages a search gives: the first
two pages of each query (ids and highlights) with the working tree's `app/search/<engine>.py`
and with the same file as of a git revision, on an archive made by bench/generate.py.

    python bench/search_same.py --database-url sqlite:////tmp/bench.db --baseline HEAD~3

On a large archive, where the ranking bound (app.search.kinds.RANKED_LIMIT) matters, which
the test suite's few articles never reach. `--baseline-ranked-limit 10000` runs the baseline
with that bound instead of the working tree's: what a change of the bound changes (the pages
of queries matching fewer than both bounds in every language stay the same).

Across a schema change (a migration of the index), compare two archives instead: `--dump`
writes the pages this tree gives, `--against` compares this tree's with such a file. Run the
former from the baseline's tree (an exported revision with this script copied in), on a copy of
the archive as it was before the migration:

    git archive main | tar -x -C /tmp/main && cp bench/search_same.py /tmp/main/bench/
    (cd /tmp/main && python bench/search_same.py --database-url sqlite:////tmp/before.db --dump /tmp/main.json)
    python bench/search_same.py --database-url sqlite:////tmp/after.db --against /tmp/main.json
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    "crise",
    "government",
    "réforme retraites",
    "refugee negotiations",
    "Teheran",
    "élection",
    "Dakar vaccin",
    '"cessez-le-feu"',
    "sanctions -Moscou",
    # fewer matches than either bound in each language at 100,000 articles
    "crise gouvernement Berlin sommet Dakar budget",
    "refugee negotiations summit Teheran government",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--baseline", help="a git revision")
    parser.add_argument("--baseline-ranked-limit", type=int, help="the baseline's ranking bound, if not the tree's")
    parser.add_argument("--ranked-limit", type=int, help="this tree's ranking bound, if not its own")
    parser.add_argument("--dump", help="write this tree's pages to this file (JSON) and stop")
    parser.add_argument("--against", help="compare this tree's pages with a file --dump wrote")
    args = parser.parse_args(argv)
    if sum(map(bool, (args.baseline, args.dump, args.against))) != 1:
        parser.error("one of --baseline, --dump and --against")
    os.environ["GAZETTE_DATABASE_URL"] = args.database_url
    from sqlmodel import Session

    import app.search.postgres
    import app.search.sqlite
    from app.articles import reads
    from app.articles.queries import ArticleListParams
    from app.search import kinds
    from app.store.engine import get_read_engine

    engine = get_read_engine()
    if args.ranked_limit:
        kinds.RANKED_LIMIT = args.ranked_limit

    def pages(q: str) -> tuple[int, list[list[tuple[str, str | None]]]]:
        out, cursor, total = [], None, 0
        for _ in range(2):
            params = {"q": q, "highlight": "true", "count": "true", **({"cursor": cursor} if cursor else {})}
            with Session(engine) as session:
                items, page = reads.list_public(session, ArticleListParams.model_validate(params))
            out.append([(item["id"], item.get("highlight")) for item in items])
            total = page.total or 0
            cursor = page.next_cursor
            if cursor is None:
                break
        return total, out

    if args.dump:
        Path(args.dump).write_text(json.dumps({q: pages(q) for q in QUERIES}, ensure_ascii=False))
        return
    if args.against:
        saved = json.loads(Path(args.against).read_text())
        differ = 0
        for q in QUERIES:
            total, now = pages(q)
            same = [[list(item) for item in page] for page in now] == saved[q][1]
            differ += not same
            items = ", ".join(str(len(p)) for p in now)
            print(f"{q:40} {'same' if same else 'DIFFERENT'} ({items} items; {total:,} matches)")
        print(f"{len(QUERIES) - differ} of {len(QUERIES)} queries give the same two pages as {args.against}")
        raise SystemExit(1 if differ else 0)

    module = app.search.postgres if args.database_url.startswith("postgres") else app.search.sqlite
    name = module.__name__.rsplit(".", 1)[1]
    source = subprocess.run(
        ["git", "show", f"{args.baseline}:app/search/{name}.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"baseline_{name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(f"baseline_{name}", path)
        assert spec
        assert spec.loader
        baseline = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(baseline)
    working, bound = module.branches, kinds.RANKED_LIMIT
    differ = 0
    for q in QUERIES:
        module.branches, kinds.RANKED_LIMIT = working, bound  # type: ignore[attr-defined]
        total, now = pages(q)
        module.branches = baseline.branches  # type: ignore[attr-defined]
        kinds.RANKED_LIMIT = args.baseline_ranked_limit or bound
        _, before = pages(q)
        same = now == before
        differ += not same
        items = ", ".join(str(len(p)) for p in now)
        print(f"{q:40} {'same' if same else 'DIFFERENT'} ({items} items; {total:,} matches)")
    module.branches, kinds.RANKED_LIMIT = working, bound  # type: ignore[attr-defined]
    against = args.baseline + (f" ranking {args.baseline_ranked_limit:,}" if args.baseline_ranked_limit else "")
    print(f"{len(QUERIES) - differ} of {len(QUERIES)} queries give the same two pages as {against}")
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
