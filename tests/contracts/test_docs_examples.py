"""Every shell example of README.md and docs/*.md runs as pasted, against `gazette serve --demo`.

The convention (docs/testing.md#examples-that-run):

- Every ```sh block of a page runs, in order, in one bash session per page, from an empty
  directory where `.venv/bin/gazette` is the command (bare `gazette` is not on the PATH, as after
  the quick start). A value an example takes from an earlier one (an id, a key, a token, an
  ETag, a cursor) is a shell variable an earlier command of the same page set.
- The docs talk to http://127.0.0.1:8000 (or localhost:8000); the test rewrites that to its
  own server, a fresh database with the demo content.
- A command is one line, or several joined by a trailing backslash, an open quote or a here-doc.
  A trailing comment `# → 201` promises the HTTP status of the command's last answer;
  `` `text` `` after the arrow, text that the command prints or its last answer's headers hold.
  Without a promise, every answer must be below 400; every command must exit 0.
- A block that is only illustrative is preceded by `<!-- not run: why -->`; the test names each
  one it skips, and a block without either is run.
"""

import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _create_database
from tests.support.processes import ROOT, gazette_serve

pytestmark = pytest.mark.slow

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(.*?)\s*-->\s*$")
PROMISE = re.compile(r"#\s*→\s*(.*)$")
DOCS_BASE = re.compile(r"\b(?:127\.0\.0\.1|localhost):8000\b")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
SHELLS = frozenset({"sh", "bash", "shell"})
PAGE_TIMEOUT = 300


@dataclasses.dataclass
class Block:
    page: str
    line: int
    text: str
    not_run: str | None  # why, when the page says it is not run


@dataclasses.dataclass
class Command:
    line: int
    text: str
    status: int | None
    shows: list[str]


def blocks(page: Path) -> list[Block]:
    """The shell blocks of a page, each with the reason it is not run, if it says one."""
    out: list[Block] = []
    lines = page.read_text().splitlines()
    reason: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence:
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            if fence.group(1) in SHELLS:
                out.append(Block(page.name, index + 1, "\n".join(lines[index + 1 : end]), reason))
            reason, index = None, end + 1
            continue
        skipped = NOT_RUN.match(line)
        if skipped:
            reason = skipped.group(1)
        elif line.strip():
            reason = None  # a `not run` mark belongs to the block right after it
        index += 1
    return out


def _complete(text: str) -> bool:
    if text.rstrip().endswith(("\\", "|", "&&", "||")):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:  # an open quote
        return False
    return True


def commands(block: Block) -> list[Command]:
    """The commands of a block, each with what its comment promises."""
    out: list[Command] = []
    pending: list[str] = []
    first = 0
    heredoc: str | None = None
    for number, line in enumerate(block.text.splitlines(), start=block.line + 1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            first = number
        pending.append(line)
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            else:
                continue
        else:
            opened = HEREDOC.search(line)
            if opened and "#" not in line[: opened.start()]:
                heredoc = opened.group(2)
                continue
        text = "\n".join(pending)
        if heredoc is None and _complete(text):
            out.append(_command(first, text))
            pending = []
    assert not pending, f"{block.page}:{first}: an unfinished command"
    return out


def _command(line: int, text: str) -> Command:
    status, shows = None, []
    for comment in PROMISE.findall(text):
        found = re.match(r"(\d{3})\b", comment.strip())
        if found:
            status = int(found.group(1))
        shows += re.findall(r"`([^`]+)`", comment)
    return Command(line, text, status, shows)


SESSION = r"""
__dir=$1
curl() { command curl -D "$__dir/headers" "$@"; }
"""


def script(page_commands: list[Command], base: str) -> str:
    """One bash script for a page: each command's output, exit status and last answer's
    headers go to files of their own, for the test to read in order."""
    parts = [SESSION]
    for index, command in enumerate(page_commands):
        text = DOCS_BASE.sub(base, command.text)
        parts.append(
            f'rm -f "$__dir/headers"\n'
            f'{{\n{text}\n}} >"$__dir/{index}.out" 2>"$__dir/{index}.err"\n'
            f'echo $? >"$__dir/{index}.rc"\n'
            f'if [ -f "$__dir/headers" ]; then mv "$__dir/headers" "$__dir/{index}.headers"; fi\n'
        )
    return "\n".join(parts)


def _status(headers: str) -> int | None:
    found = re.findall(r"^HTTP/[\d.]+ (\d{3})", headers, re.M)
    return int(found[-1]) if found else None


def check(page: str, command: Command, results: Path, index: int) -> None:
    where = f"{page}:{command.line}: {command.text}"
    ran = results / f"{index}.rc"
    assert ran.exists(), f"{where}\nnever ran (the page stopped before it)"
    out = (results / f"{index}.out").read_text(errors="replace")
    err = (results / f"{index}.err").read_text(errors="replace")
    headers_file = results / f"{index}.headers"
    headers = headers_file.read_text(errors="replace") if headers_file.exists() else ""
    said = f"{where}\n--- printed:\n{out[-2000:]}\n--- stderr:\n{err[-2000:]}\n--- headers:\n{headers[-1000:]}"
    assert ran.read_text().strip() == "0", f"exit status {ran.read_text().strip()}\n{said}"
    status = _status(headers)
    if command.status is not None:
        assert status == command.status, f"promised {command.status}, got {status}\n{said}"
    elif status is not None:
        assert status < 400, f"answered {status}\n{said}"
    for text in command.shows:
        assert text in out or text.lower() in headers.lower(), f"promised to show {text!r}\n{said}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A demo server of the docs' own, on a fresh database: its base URL and database URL.
    Background jobs on, as under `make demo`: a scheduled article publishes itself."""
    url, drop = _create_database(tmp_path_factory.mktemp("docs-db"))
    try:
        with gazette_serve(
            url,
            "--demo",
            start_within=180,
            GAZETTE_RUN_BACKGROUND_JOBS="true",
            GAZETTE_SCHEDULER_INTERVAL_SECONDS="1",
            GAZETTE_RATE_LIMIT_ENABLED="true",  # as a reader of the docs gets it (the suite turns it off)
        ) as (base, _):
            yield base, url
    finally:
        drop()


def _environment(database_url: str, workdir: Path) -> dict[str, str]:
    """The shell a reader has after the quick start: no venv on the PATH, the database found
    as the `.env` of `make demo` would find it (here, in the environment)."""
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GAZETTE_")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.pop("VIRTUAL_ENV", None)
    env["GAZETTE_DATABASE_URL"] = database_url
    env["HOME"] = env.get("HOME", str(workdir))
    return env


RUNNABLE = [(page, [b for b in blocks(page) if b.not_run is None]) for page in PAGES]


@pytest.mark.parametrize("page", [p for p, runnable in RUNNABLE if runnable], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_of_the_page_runs(page: Path, demo, tmp_path: Path) -> None:
    for tool in ("bash", "curl", "jq"):
        if shutil.which(tool) is None:
            pytest.skip(f"the examples need {tool}")
    base, database_url = demo
    page_commands = [c for b in blocks(page) if b.not_run is None for c in commands(b)]
    workdir, results = tmp_path / "reader", tmp_path / "results"
    workdir.mkdir()
    results.mkdir()
    (workdir / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (results / "page.sh").write_text(script(page_commands, base.removeprefix("http://")))
    done = subprocess.run(
        ["bash", str(results / "page.sh"), str(results)],
        cwd=workdir,
        env=_environment(database_url, workdir),
        capture_output=True,
        text=True,
        timeout=PAGE_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for index, command in enumerate(page_commands):
        check(page.name, command, results, index)


def test_every_block_is_run_or_says_why_not() -> None:
    """Each skipped block is named with its reason; no shell block is lost by accident."""
    every = [b for page in PAGES for b in blocks(page)]
    skipped = {f"{b.page}:{b.line}": b.not_run for b in every if b.not_run is not None}
    assert all(skipped.values()), skipped
    assert len(every) > len(skipped) > 0
    for page in PAGES:
        text = page.read_text()
        marks = len(re.findall(r"^<!--\s*not run:", text, re.M))
        assert marks == sum(1 for b in blocks(page) if b.not_run), f"{page.name}: a `not run` mark not before a block"
    print("not run:", *(f"{where} ({why})" for where, why in sorted(skipped.items())), sep="\n  ")
