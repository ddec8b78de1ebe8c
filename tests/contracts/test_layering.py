"""The house rules that code can guard: the layers (no package imports one that imports it),
nothing loose at the root, routes hold no SQL, only routes know FastAPI, no import cycle,
nothing wired by import side effects, and only the write path writes content."""

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import grimp
from fastapi.routing import APIRoute

from app.http.routing import SessionDep
from app.main import create_app

APP = Path(__file__).resolve().parents[2] / "app"


MIGRATIONS = APP / "store" / "migrations"  # Alembic's scripts: schema and data changes, run once


def _sources(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        if MIGRATIONS not in path.parents:
            yield path, path.read_text(encoding="utf-8")


# The shared HTTP machinery and the entry points: everything else in app/ is a package.
ROOT_MODULES = {"__init__.py", "main.py", "cli.py", "settings.py", "wiring.py"}
SHARED = {"http", "kit", "store", "cache", "observability", "demo"}
DOMAINS = sorted(p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name not in SHARED)


def _route_modules():
    for path, text in _sources(APP):
        if path.parent != APP and path.stem.endswith("routes") and "APIRouter" in text:
            yield path, text


def test_routes_hold_no_queries_and_no_commits():
    """Routes parse the request and shape the answer; queries and writes live beside them
    (queries.py, writes.py …), and the committing route class commits (app/http/routing.py)."""
    patterns = (
        r"^(from|import) sqlalchemy",
        r"^from sqlmodel import (?!Session$)",
        r"session\.(execute|scalars?|get|add|add_all|delete|merge|flush|commit)\(",
    )
    offenders = [
        f"{path.relative_to(APP)}: {pattern}"
        for path, text in _route_modules()
        for pattern in patterns
        if re.search(pattern, text, re.M)
    ]
    assert len(list(_route_modules())) >= 10
    assert offenders == []


def test_only_routes_and_http_machinery_know_fastapi():
    """Queries, rules and writes raise the app's errors (app/http/problems.py), never an
    HTTPException, and import nothing of FastAPI: they run the same from the CLI or a job."""
    allowed = {"main.py", "wiring.py"}
    offenders = [
        str(path.relative_to(APP))
        for path, text in _sources(APP)
        if ("HTTPException" in text or re.search(r"^from fastapi|^import fastapi", text, re.M))
        and path.relative_to(APP).parts[0] != "http"
        and str(path.relative_to(APP)) not in allowed
        and not path.stem.endswith(("routes", "dependencies", "fast_path", "schemas"))
        and path.name not in ("metrics.py", "jobs.py")
    ]
    assert offenders == []


def test_nothing_but_the_entry_points_at_the_root():
    loose = {p.name for p in APP.glob("*.py")} - ROOT_MODULES
    assert loose == set()


def test_no_file_is_named_after_its_folder():
    """`search/search_sqlite.py` says search twice: a folder names the concept, a file the part."""
    stutter = [
        str(path.relative_to(APP))
        for path, _ in _sources(APP)
        if path.parent != APP
        and (path.stem == path.parent.name or path.stem.startswith(path.parent.name.rstrip("s") + "_"))
    ]
    assert stutter == []


def test_no_import_cycle_in_app():
    """Module by module, lazy imports inside functions included (grimp, import-linter's graph)."""
    graph = grimp.build_graph("app")
    cycles = [
        (a, b)
        for a in graph.modules
        for b in graph.find_modules_directly_imported_by(a)
        if graph.chain_exists(importer=b, imported=a)
    ]
    assert cycles == []


def test_no_two_packages_import_each_other():
    """Package by package (the layers contract says so too; this names the pair when not)."""
    graph = grimp.build_graph("app")
    package = {m: ".".join(m.split(".")[:2]) for m in graph.modules}
    edges = {
        (package[a], package[b])
        for a in graph.modules
        for b in graph.find_modules_directly_imported_by(a)
        if package[a] != package[b]
    }
    assert sorted((a, b) for a, b in edges if (b, a) in edges and a < b) == []


def test_nothing_registers_itself_on_import():
    """Listeners, jobs and hooks are connected by app/wiring.py alone, never at import time."""
    offenders = []
    for path, text in _sources(APP):
        if path.name == "wiring.py":
            continue
        for node in ast.parse(text).body:  # module level only: inside functions is on purpose
            call = node.value if isinstance(node, ast.Expr) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("listen", "register")
            ):
                offenders.append(f"{path.relative_to(APP)}:{node.lineno}")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                "register" in ast.unparse(d) or "listens_for" in ast.unparse(d) for d in node.decorator_list
            ):
                offenders.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert offenders == []


def test_no_hand_fired_events_or_private_sqlalchemy_calls():
    offenders = [
        str(path.relative_to(APP))
        for path, text in _sources(APP)
        if re.search(r"\.dispatch\.after_flush|\._commit_all\(|noqa: SLF001", text)
    ]
    assert offenders == []


def test_layers_hold():
    """Domains → shared machinery → store, as the import-linter contracts in pyproject.toml say."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=APP.parent, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


# Content tables: the public objects and what an article holds of them.
CONTENT = frozenset(
    {
        "Article",
        "ArticleAuthor",
        "ArticleCategory",
        "ArticleCorrection",
        "ArticleTag",
        "ArticleUpdate",
        "Attribution",
        "Author",
        "Category",
        "Person",
        "Quote",
        "SlugRedirect",
        "Source",
        "Tag",
    }
)
# The write path: every module that writes content rows, each ending its write in
# app/changes/feed.py `record` (the change feed, the webhook outbox, the purge keys).
WRITE_PATH = frozenset(
    {
        "articles/writes.py",
        "articles/quotes.py",
        "articles/linked.py",
        "articles/corrections.py",
        "articles/live/writes.py",  # a live blog's updates
        "articles/queries.py",  # `held`: the row a write loads, attached to its session
        "kit/slugs.py",  # old slugs, taken and given up inside the writes of articles and taxonomy
        "taxonomy/writes.py",
        "taxonomy/registry.py",
        "quotes/writes.py",
        "taxonomy/refs.py",
        "site/writes.py",
    }
)
# Modules that add rows of other tables and read content models: not writers of content.
NOT_CONTENT = {
    "articles/refill.py": "the stored documents' walk state (site_setting 'documents')",
    "articles/pending.py": "pending versions (article_pending), never public; published through articles/writes.py",
    "sitemaps/months.py": "the sitemap index's months (sitemap_month, sitemap_change), counted from articles",
}


def _content_writes(tree: ast.AST) -> set[str]:
    """What a module does that writes content: makes a content row, runs an INSERT, UPDATE or
    DELETE on a content table, or adds objects to a session while it imports content models."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.store.models")
        for alias in node.names
    } & CONTENT
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, first = node.func, node.args[0] if node.args else None
        if isinstance(func, ast.Name) and func.id in imported:
            found.add(f"{func.id}(…)")
        if (
            isinstance(func, ast.Name)
            and func.id in ("insert", "update", "delete")
            and isinstance(first, ast.Name)
            and first.id in imported
        ):
            found.add(f"{func.id}({first.id})")
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("add", "add_all", "delete", "merge")
            and imported
            and isinstance(func.value, ast.Name)
            and func.value.id == "session"
        ):
            found.add(f"session.{func.attr}")
    return found


def test_only_the_write_path_writes_content_tables():
    writers = {
        str(path.relative_to(APP)): sorted(found)
        for path, text in _sources(APP)
        if (found := _content_writes(ast.parse(text)))
    }
    assert {name: found for name, found in writers.items() if name not in WRITE_PATH and name not in NOT_CONTENT} == {}
    assert set(writers) >= WRITE_PATH  # each one listed still writes (the check sees its writes)


def test_every_writer_records_its_changes():
    """Each module of the write path reaches the change feed's `record`."""
    graph = grimp.build_graph("app")
    for name in WRITE_PATH - {"articles/queries.py", "kit/slugs.py"}:
        module = "app." + name.removesuffix(".py").replace("/", ".")
        # Taxonomy sits below articles: what its writes do to articles goes through the hooks
        # app.wiring connects to app.articles.linked (checked just below).
        assert graph.chain_exists(importer=module, imported="app.changes.feed") or graph.chain_exists(
            importer=module, imported="app.taxonomy.hooks"
        ), module
    assert graph.chain_exists(importer="app.articles.linked", imported="app.changes.feed")
    from app import wiring
    from app.taxonomy import hooks

    wiring.install()
    assert hooks.ARTICLES_CHANGED and hooks.BODIES_STALE


def test_settings_are_read_only_through_get_settings():
    """Nothing reads the environment but app/settings.py, which owns it (it also says where the
    database's URL came from, for the CLI's messages)."""
    offenders = [
        str(path.relative_to(APP))
        for path, text in _sources(APP)
        if path != APP / "settings.py"
        and re.search(r"os\.environ(?!\[\"PROMETHEUS_MULTIPROC_DIR\"\] = )|os\.getenv", text)
    ]
    assert offenders == []


def test_every_sync_route_with_a_write_session_commits_in_its_own_thread():
    """A router made without `route_class=Route` would leave its writes' commit to the event
    loop's next turn, holding SQLite's write lock meanwhile (app.http.routing.Route)."""

    def walk(routes):  # included routers hold their routes (FastAPI's `original_router`)
        for route in routes:
            included = getattr(route, "original_router", None)
            yield from walk(included.routes) if included is not None else [route]

    writing, plain = [], []
    for route in walk(create_app().routes):
        if not isinstance(route, APIRoute):
            continue
        endpoint = inspect.unwrap(route.endpoint)
        session = inspect.signature(endpoint).parameters.get("session")
        if session is None or session.annotation != SessionDep or inspect.iscoroutinefunction(endpoint):
            continue
        (writing if route.endpoint is not endpoint else plain).append(f"{sorted(route.methods)} {route.path}")
    assert plain == []
    assert len(writing) > 25
