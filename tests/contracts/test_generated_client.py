"""A typed client generated from the served OpenAPI document can live on it.

What an integrator does on day one: fetch /openapi.json from a real Gazette (a database of its
own, the demo content), generate a Python client with openapi-python-client, write a short
program against it (anonymous reads with a plain `Client`, the next page by cursor, one article
by slug, the change feed), type-check the program with the generated package under
`mypy --strict`, and run it: what it prints must be what the server serves to plain HTTP.

The generator may warn only about bodies in a streaming media type (the NDJSON export and
import): no generator types those. RSS and Atom are read as the XML text they are, the way an
integrator configures a generator for a media type it does not know.

The programs docs/clients.md and README.md show are type-checked and run the same way.
"""

import datetime
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _create_database
from tests.support.processes import ROOT, gazette_serve

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PACKAGE = "gazette_client"
STREAMING = frozenset({"application/x-ndjson", "application/jsonl", "application/json-seq", "text/event-stream"})
GENERATOR_CONFIG = {
    "package_name_override": PACKAGE,
    "post_hooks": [],  # no formatter run over the output: not what is tested
    # XML answers (feeds, sitemaps) are read as text, as the generator reads text/xml.
    "content_type_overrides": {
        "application/rss+xml": "text/xml",
        "application/atom+xml": "text/xml",
        "application/xml": "text/xml",
    },
}
PAGE = 5
CHANGES = 10
DOCS = ROOT / "docs" / "clients.md"
# The pages that show a program using a generated client: docs/clients.md, and README's "Typed clients".
PAGES = (DOCS, ROOT / "README.md")


def docs_program(language: str, base_url: str, page: Path = DOCS) -> str:
    """The program `page` (docs/clients.md) shows in `language`, pointed at `base_url`."""
    (found,) = re.findall(rf"^```{language}\n(.*?)^```$", page.read_text(), re.S | re.M)
    return found.replace("http://127.0.0.1:8000", base_url)


# The integrator's program: the generated package only, no key, the fields as the document
# types them. assert_type pins what mypy must know about each value it reads: a field the
# document leaves optional, untyped or Any fails the check, as it would fail an integrator.
PROGRAM = '''\
"""Read Gazette through its generated client: python integrator.py BASE_URL PAGE CHANGES"""

import datetime
import json
import sys
from typing import TypeVar, assert_type

from gazette_client import Client
from gazette_client.api.articles import get_article_by_slug, list_articles
from gazette_client.api.changes import list_changes
from gazette_client.models import ArticleFormat, ArticleRead, Problem

T = TypeVar("T")


def ok(answer: T | Problem | None) -> T:
    """The answer, or stop with the problem the server gave."""
    if answer is None or isinstance(answer, Problem):
        raise SystemExit(f"Gazette answered {answer!r}")
    return answer


def main(base_url: str, page_size: int, changes: int) -> None:
    with Client(base_url=base_url, raise_on_unexpected_status=True) as client:
        first = ok(list_articles.sync(client=client, limit=page_size))
        assert_type(first.meta.has_more, bool)
        assert_type(first.meta.next_cursor, str | None)
        if first.meta.next_cursor is None:
            raise SystemExit("a single page")
        cursor = first.meta.next_cursor
        second = ok(list_articles.sync(client=client, limit=page_size, cursor=cursor))

        listed = first.data[0]
        assert_type(listed.id, str)
        assert_type(listed.slug, str)
        assert_type(listed.title, str)
        assert_type(listed.version, int)
        assert_type(listed.published_at, datetime.datetime | None)

        found = ok(get_article_by_slug.sync(listed.slug, client=client))
        if not isinstance(found, ArticleRead):  # format=json, the default
            raise SystemExit(f"not an article: {found!r}")
        assert_type(found.title, str)
        assert_type(found.url, str)
        assert_type(found.version, int)
        assert_type(found.published_at, datetime.datetime | None)
        # The other shapes of the same article must not pass for an ArticleRead.
        shapes: dict[str, str] = {}
        for shape in (ArticleFormat.NINJS, ArticleFormat.JSONLD):
            other = ok(get_article_by_slug.sync(listed.slug, client=client, format_=shape))
            shapes[str(shape)] = type(other).__name__

        feed = ok(list_changes.sync(client=client, limit=changes))
        assert_type(feed.meta.next_cursor, str)
        assert_type(feed.meta.has_more, bool)
        for change in feed.data:
            assert_type(change.cursor, str)
            assert_type(change.id, str)
            assert_type(change.version, int)
            assert_type(change.at, datetime.datetime)

    print(json.dumps({
        "first_page": [[a.id, a.title] for a in first.data],
        "next_cursor": first.meta.next_cursor,
        "second_page": [[a.id, a.title] for a in second.data],
        "by_slug": {"id": found.id, "slug": found.slug, "title": found.title, "url": found.url,
                    "version": found.version,
                    "published_at": found.published_at.isoformat() if found.published_at else None},
        "parsed_as": {"json": type(found).__name__, **shapes},
        "changes": [[c.cursor, str(c.type_), c.id, str(c.op), c.version, c.at.isoformat()]
                    for c in feed.data],  # `type` is a builtin: the generator says type_
        "changes_meta": {"next_cursor": feed.meta.next_cursor, "has_more": feed.meta.has_more},
    }))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
'''


@pytest.fixture
def generator() -> Path:
    """openapi-python-client from this environment; the test is skipped without it."""
    exe = BIN / "openapi-python-client"
    try:
        subprocess.run([str(exe), "--version"], check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"openapi-python-client cannot run ({error}); install the test extra")
    return exe


@pytest.fixture
def demo_server(tmp_path) -> Iterator[str]:
    """`gazette serve --demo` on a database of its own."""
    url, drop = _create_database(tmp_path)
    try:
        # Migrations and the demo content first: on PostgreSQL, beside a busy test, that takes a while.
        with gazette_serve(url, "--demo", start_within=120, GAZETTE_RATE_LIMIT_ENABLED="true") as (base, _):
            yield base
    finally:
        drop()


def _generate(generator: Path, document: dict[str, Any], into: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    into.mkdir(parents=True)
    source, config = into / "openapi.json", into / "generator.json"
    source.write_text(json.dumps(document))
    config.write_text(json.dumps(GENERATOR_CONFIG))
    return subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(source),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(into / PACKAGE),
            *flags,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _without_streaming_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """The document less every request or response body in a streaming media type."""
    document = json.loads(json.dumps(document))
    for path_item in document["paths"].values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            bodies = [operation.get("requestBody", {}), *operation.get("responses", {}).values()]
            for body in bodies:
                content = body.get("content", {})
                for media_type in [m for m in content if m.split(";")[0].strip() in STREAMING]:
                    del content[media_type]
                if "content" in body and not content:
                    del body["content"]
            if "requestBody" in operation and "content" not in operation["requestBody"]:
                del operation["requestBody"]
    return document


def _instant(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


def test_a_generated_typed_client_reads_what_the_server_serves(generator, demo_server, tmp_path):
    document = httpx.get(f"{demo_server}/openapi.json", timeout=30).raise_for_status().json()

    served = _generate(generator, document, tmp_path / "client")
    assert served.returncode == 0, f"openapi-python-client failed:\n{served.stdout}{served.stderr}"
    # Every warning is about a streaming body: without those, the generator has none to give.
    check = _generate(generator, _without_streaming_bodies(document), tmp_path / "check", "--fail-on-warning")
    assert check.returncode == 0, f"warnings beyond streaming bodies:\n{check.stderr}"

    workdir = tmp_path / "client"
    (workdir / "integrator.py").write_text(PROGRAM)
    examples = [f"example_{n}.py" for n in range(len(PAGES))]
    for name, page in zip(examples, PAGES, strict=True):
        (workdir / name).write_text(docs_program("python", demo_server, page))
    (workdir / "mypy.ini").write_text("[mypy]\n")
    typed = subprocess.run(
        [
            str(BIN / "mypy"),
            "--strict",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            ".mypy_cache",
            PACKAGE,
            "integrator.py",
            *examples,
        ],
        cwd=workdir,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert typed.returncode == 0, f"mypy --strict on the program and the client:\n{typed.stdout}{typed.stderr}"

    ran = subprocess.run(
        [sys.executable, "integrator.py", demo_server, str(PAGE), str(CHANGES)],
        cwd=workdir,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, f"the program failed:\n{ran.stdout}{ran.stderr}"
    printed = json.loads(ran.stdout)

    with httpx.Client(base_url=demo_server, timeout=30) as http:
        first = http.get("/v1/articles", params={"limit": PAGE}).json()
        second = http.get("/v1/articles", params={"limit": PAGE, "cursor": first["meta"]["next_cursor"]}).json()
        one = http.get(f"/v1/articles/slug/{first['data'][0]['slug']}").json()
        feed = http.get("/v1/changes", params={"limit": CHANGES}).json()

    assert printed["first_page"] == [[a["id"], a["title"]] for a in first["data"]]
    assert printed["next_cursor"] == first["meta"]["next_cursor"]
    assert printed["second_page"] == [[a["id"], a["title"]] for a in second["data"]]
    assert len(printed["second_page"]) == PAGE
    assert not {i for i, _ in printed["first_page"]} & {i for i, _ in printed["second_page"]}
    by_slug = printed["by_slug"]
    assert {k: by_slug[k] for k in ("id", "slug", "title", "url", "version")} == {
        k: one[k] for k in ("id", "slug", "title", "url", "version")
    }
    assert _instant(by_slug["published_at"]) == _instant(one["published_at"])
    # json, ninjs and jsonld: three shapes, each parsed into a class of its own.
    assert len(set(printed["parsed_as"].values())) == 3, printed["parsed_as"]
    assert [c[:5] for c in printed["changes"]] == [
        [c["cursor"], c["type"], c["id"], c["op"], c["version"]] for c in feed["data"]
    ]
    assert [_instant(c[5]) for c in printed["changes"]] == [_instant(c["at"]) for c in feed["data"]]
    assert printed["changes_meta"] == feed["meta"]

    # The programs of docs/clients.md and README.md (type-checked above with the rest) print what is served.
    with httpx.Client(base_url=demo_server, timeout=30) as http:
        served = http.get("/v1/articles", params={"category": "international", "limit": 5}).json()["data"]
    assert len(served) == 5
    for name, page in zip(examples, PAGES, strict=True):
        shown = subprocess.run(
            [sys.executable, name], cwd=workdir, check=False, capture_output=True, text=True, timeout=120
        )
        assert shown.returncode == 0, f"the program of {page.name} failed:\n{shown.stdout}{shown.stderr}"
        assert shown.stdout.splitlines() == [f"{_instant(a['published_at'])} {a['title']}" for a in served]
