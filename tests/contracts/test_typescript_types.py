"""TypeScript types generated from the OpenAPI document by openapi-typescript: no answer is
`unknown`, and what only some answers carry is optional.

openapi-typescript comes from the npm registry through npx; without npx, or when npx cannot
fetch it (offline), the test is skipped.
"""

import json
import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow

GENERATOR = "openapi-typescript@7"


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
