"""TypeScript types generated from the OpenAPI document by openapi-typescript: no answer is
`unknown`, and what only some answers carry is optional; the program docs/clients.md shows
compiles against them under `tsc --strict` and prints what the server serves.

openapi-typescript and TypeScript come from the npm registry through npx; without npx, or when
npx cannot fetch them (offline), the tests are skipped.
"""

import json
import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow

GENERATOR = "openapi-typescript@7"
COMPILER = "typescript@5"


def _npx(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx is not installed")
    try:
        return subprocess.run([npx, "--yes", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip(f"npx could not run {args[0]} in time (offline?)")


@pytest.fixture
def types(tmp_path) -> str:
    """The TypeScript that openapi-typescript makes of the document."""
    from app.main import create_app

    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx is not installed")
    source, target = tmp_path / "openapi.json", tmp_path / "gazette.ts"
    source.write_text(json.dumps(create_app().openapi()))
    try:
        done = subprocess.run(
            [npx, "--yes", GENERATOR, str(source), "--output", str(target)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npx could not run {GENERATOR} in time (offline?)")
    if done.returncode != 0 or not target.exists():
        pytest.skip(f"npx could not run {GENERATOR} (offline?): {done.stderr[-500:]}")
    return target.read_text()


def _schema(types: str, name: str) -> str:
    """The body of `components["schemas"][name]`, as generated."""
    found = re.search(rf"^        {name}: {{\n(.*?)^        }};$", types, re.S | re.M)
    assert found, name
    return found.group(1)


def test_no_answer_is_unknown_and_sometimes_fields_are_optional(types):
    untyped = re.findall(r'^\s+"([a-z]+/[^"]+)": unknown;$', types, re.M)
    assert untyped == []
    for operation in ("list_articles", "get_article_by_slug", "list_changes", "get_json_feed"):
        assert re.search(rf"^    {operation}: {{$", types, re.M), operation
    article = _schema(types, "ArticleRead")
    for required in ("id: string;", "title: string;", "version: number;", "published_at: string | null;"):
        assert re.search(rf"^\s+{re.escape(required)}$", article, re.M), required
    for optional in ("body?:", "body_html?:", "quotes?:", "attributions?:", "highlight?:"):
        assert re.search(rf"^\s+{re.escape(optional)}", article, re.M), optional
    assert re.search(r"^\s+total\?: number;$", _schema(types, "ListMeta"), re.M)
    assert re.search(r"^\s+next_cursor: string;$", _schema(types, "ChangeMeta"), re.M)


@pytest.mark.parametrize("page", ["docs/clients.md", "README.md"])
def test_the_docs_typescript_example_compiles_strict_and_prints_what_is_served(page, types, tmp_path, client, session):
    from tests.contracts.test_generated_client import docs_program
    from tests.support.factories import make_article, make_category
    from tests.support.processes import ROOT

    international = make_category(session, "international", name="International")
    make_category(session, "europe", parent=international, name="Europe")
    titles = [f"Article {n}" for n in range(6)]
    for n, title in enumerate(titles):
        make_article(session, title=title, category="europe", published_at=f"2016-01-0{n + 1}T08:00:00Z")
    (tmp_path / "example.ts").write_text(docs_program("ts", str(client.base_url).rstrip("/"), ROOT / page))
    (tmp_path / "package.json").write_text('{"type": "module"}')
    flags = ["--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler"]

    compiled = _npx("-p", COMPILER, "tsc", *flags, "--lib", "es2022,dom", "example.ts", cwd=tmp_path)
    if "ENOTFOUND" in compiled.stderr or "ETIMEDOUT" in compiled.stderr:
        pytest.skip(f"npx could not fetch {COMPILER} (offline?)")
    assert compiled.returncode == 0, f"tsc --strict:\n{compiled.stdout}{compiled.stderr}"
    ran = subprocess.run(["node", "example.js"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)

    assert ran.returncode == 0, ran.stderr
    served = client.get("/v1/articles", params={"category": "international", "limit": 5}).json()["data"]
    assert [line.split(" ", 1)[1] for line in ran.stdout.splitlines()] == [a["title"] for a in served]
    assert [line.split(" ", 1)[0] for line in ran.stdout.splitlines()] == [a["published_at"] for a in served]
    assert len(served) == 5
