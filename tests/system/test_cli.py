"""The `gazette` command as a user meets it: run as its own process, from some directory.

It finds its database from the environment or the nearest `.env` upwards, never makes an
empty SQLite file where it happens to run, says where it looked when it finds nothing, lists
in full into a pipe and as JSON on request. The database here is always SQLite in a
directory of the test's own: what is checked is how the command finds it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import gazette_serve

pytestmark = pytest.mark.slow

SCOPES = "content:read,content:write,content:publish,admin"


def run(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`gazette ARGS` from `cwd`, with no GAZETTE_ setting but `settings` (the suite's own
    database URL stays out), standard output a pipe, as in a script."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GAZETTE_")}
    env |= {"COLUMNS": "80", **settings}  # a narrow terminal, were rich to believe there is one
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def sqlite_files(root: Path) -> set[Path]:
    return set(root.rglob("*.db"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A checkout-like directory whose .env names a relative SQLite database, migrated."""
    (tmp_path / "data").mkdir()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / ".env").write_text("# the project's database\nGAZETTE_DATABASE_URL=sqlite:///data/gazette.db\n")
    done = run(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert sqlite_files(tmp_path) == {tmp_path / "data" / "gazette.db"}
    return tmp_path


def test_no_database_is_said_and_none_is_made(tmp_path: Path) -> None:
    for command in (["keys", "list"], ["keys", "create", "--name", "x", "--scopes", "admin"], ["export"]):
        done = run(tmp_path, *command)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        said = done.stderr
        assert f"No database at {tmp_path.resolve() / 'gazette.db'}" in said
        assert "GAZETTE_DATABASE_URL is not in the environment" in said
        assert f"there is no .env in {tmp_path.resolve()} or above" in said
        assert "gazette db upgrade" in said
        assert done.stdout == ""
    assert sqlite_files(tmp_path) == set()


def test_a_database_url_in_the_environment_is_named_when_missing(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere" / "g.db"
    done = run(tmp_path, "keys", "list", GAZETTE_DATABASE_URL=f"sqlite:///{missing}")
    assert done.returncode == 1
    said = done.stderr
    assert f"No database at {missing}" in said and "GAZETTE_DATABASE_URL in the environment" in said
    assert sqlite_files(tmp_path) == set()


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    import sqlite3

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    done = run(tmp_path, "keys", "list", GAZETTE_DATABASE_URL=f"sqlite:///{empty}")
    assert done.returncode == 1
    assert "has no Gazette tables" in done.stderr and "gazette db upgrade" in done.stderr


def test_the_nearest_env_file_names_the_same_database_from_any_directory_below(project: Path) -> None:
    made = run(project / "deep" / "er", "keys", "create", "--name", "from-below", "--scopes", SCOPES)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("gz_")

    listed = run(project / "deep", "keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    keys = json.loads(listed.stdout)
    assert [k["name"] for k in keys] == ["from-below"]
    assert sqlite_files(project) == {project / "data" / "gazette.db"}  # no new file where it ran

    # The environment wins over the file.
    other = project / "other.db"
    done = run(project / "deep", "keys", "list", GAZETTE_DATABASE_URL=f"sqlite:///{other}")
    assert done.returncode == 1 and str(other) in done.stderr


def test_keys_list_into_a_pipe_is_whole_and_json_has_every_field(project: Path) -> None:
    name = "a-rather-long-key-name-for-the-overnight-wire-import-robot"
    assert run(project, "keys", "create", "--name", name, "--scopes", SCOPES).returncode == 0

    table = run(project, "keys", "list")
    assert table.returncode == 0, table.stderr
    (key,) = json.loads(run(project, "keys", "list", "--json").stdout)
    assert set(key) == {"id", "name", "scopes", "prefix", "created_at", "last_used_at", "revoked_at"}
    assert key["name"] == name and sorted(key["scopes"]) == sorted(SCOPES.split(","))
    rows = [line for line in table.stdout.splitlines() if key["id"] in line]
    assert len(rows) == 1, table.stdout  # one row, not wrapped over several lines
    for whole in (key["id"], name, ",".join(key["scopes"]), key["created_at"]):
        assert whole in rows[0]
    assert max(len(line) for line in table.stdout.splitlines()) > 80


def test_serve_demo_says_where_the_docs_are_and_how_to_stop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with gazette_serve(url, "--demo", start_within=180) as (base, log):
        said = log.read_text()
    assert f"Gazette on {base}" in said
    assert f"{base}/docs" in said
    assert "Ctrl-C stops" in said
    assert "gazette --help" in said
