"""Whether a change to the search engine modules keeps the pages a search gives: the first
two pages of each query (ids and highlights) with the working tree's `app/search/<engine>.py`
and with the same file as of a git revision, on an archive made by bench/generate.py.

    python bench/search_same.py --database-url sqlite:////tmp/bench.db --baseline HEAD~3

On a large archive, where the ranking bound (app.search.kinds.RANKED_LIMIT) matters, which
the test suite's few articles never reach.
"""

import argparse
import importlib.util
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
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--baseline", required=True, help="a git revision")
    args = parser.parse_args(argv)
    os.environ["GAZETTE_DATABASE_URL"] = args.database_url
    from sqlmodel import Session

    import app.search.postgres
    import app.search.sqlite
    from app.articles import reads
    from app.articles.queries import ArticleListParams
    from app.store.engine import get_read_engine

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
    engine = get_read_engine()

    def pages(q: str) -> list[list[tuple[str, str | None]]]:
        out, cursor = [], None
        for _ in range(2):
            params = {"q": q, "highlight": "true", **({"cursor": cursor} if cursor else {})}
            with Session(engine) as session:
                items, page = reads.list_public(session, ArticleListParams.model_validate(params))
            out.append([(item["id"], item.get("highlight")) for item in items])
            cursor = page.next_cursor
            if cursor is None:
                break
        return out

    working = module.branches
    differ = 0
    for q in QUERIES:
        module.branches = working  # type: ignore[attr-defined]
        now = pages(q)
        module.branches = baseline.branches  # type: ignore[attr-defined]
        before = pages(q)
        same = now == before
        differ += not same
        print(f"{q:25} {'same' if same else 'DIFFERENT'} ({', '.join(str(len(p)) for p in now)} items)")
    module.branches = working  # type: ignore[attr-defined]
    print(f"{len(QUERIES) - differ} of {len(QUERIES)} queries give the same two pages as {args.baseline}")
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
