"""The house rules that a grep can guard: routes hold no SQL, capabilities raise no HTTP
errors, no module is over 400 lines, no import cycle, and only the write path writes content."""

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import grimp
from fastapi.routing import APIRoute

from app.api.routing import SessionDep
from app.main import create_app

APP = Path(__file__).resolve().parents[1] / "app"


def _sources(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, path.read_text(encoding="utf-8")


def test_routes_hold_no_queries_and_no_commits():
    offenders = [
        f"{path.relative_to(APP)}: {pattern}"
        for path, text in _sources(APP / "api")
        if path.name != "routing.py"  # the request's session machinery: it is what commits
        for pattern in (r"\bselect\(", r"session\.add\(", r"\.commit\(", r"session\.execute\(")
        if re.search(pattern, text)
    ]
    assert offenders == []


CAPABILITIES = ("articles", "content", "search", "sync", "formats", "store")


def test_capabilities_raise_app_errors_not_http_exceptions():
    offenders = [str(path.relative_to(APP)) for name in CAPABILITIES for path, text in _sources(APP / name)
                 if "HTTPException" in text or "from fastapi" in text]
    assert [name for name in CAPABILITIES if not (APP / name / "__init__.py").exists()] == []
    assert offenders == []


def test_no_module_is_over_400_lines():
    long = {str(path.relative_to(APP)): n for path, text in _sources(APP) if (n := text.count("\n")) > 400}
    assert long == {}


def test_no_import_cycle_in_app():
    """Module by module, lazy imports inside functions included (grimp, import-linter's graph)."""
    graph = grimp.build_graph("app")
    cycles = [(a, b) for a in graph.modules for b in graph.find_modules_directly_imported_by(a)
              if graph.chain_exists(importer=b, imported=a)]
    assert cycles == []


def test_layers_hold():
    """HTTP → capabilities → store, as the import-linter contracts in pyproject.toml say."""
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=APP.parent,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# Content tables: the public objects and what an article holds of them.
CONTENT = frozenset({"Article", "ArticleAuthor", "ArticleCategory", "ArticleTag", "Attribution", "Author",
                     "Category", "Person", "Quote", "SlugRedirect", "Source", "Tag"})
# The write path: every module that writes content rows, each ending its write in
# app/sync/changes.py `record` (the change feed, the webhook outbox, the purge keys).
WRITE_PATH = frozenset({
    "articles/article_writes.py", "articles/article_quotes.py", "articles/linked_articles.py",
    "articles/article_query.py",  # `held`: the row a write loads, attached to its session
    "content/slugged_writes.py", "content/slugged_kinds.py", "content/quote_writes.py",
    "content/refs.py", "content/site_writes.py",
})
# Modules that add rows of other tables and read content models: not writers of content.
NOT_CONTENT = {"articles/document_fill.py": "the stored documents' walk state (site_setting 'documents')"}


def _content_writes(tree: ast.AST) -> set[str]:
    """What a module does that writes content: makes a content row, runs an INSERT, UPDATE or
    DELETE on a content table, or adds objects to a session while it imports content models."""
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("app.store.models") for alias in node.names} & CONTENT
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, first = node.func, node.args[0] if node.args else None
        if isinstance(func, ast.Name) and func.id in imported:
            found.add(f"{func.id}(…)")
        if isinstance(func, ast.Name) and func.id in ("insert", "update", "delete") and isinstance(first, ast.Name) \
                and first.id in imported:
            found.add(f"{func.id}({first.id})")
        if isinstance(func, ast.Attribute) and func.attr in ("add", "add_all", "delete", "merge") and imported \
                and isinstance(func.value, ast.Name) and func.value.id == "session":
            found.add(f"session.{func.attr}")
    return found


def test_only_the_write_path_writes_content_tables():
    writers = {str(path.relative_to(APP)): sorted(found) for path, text in _sources(APP)
               if (found := _content_writes(ast.parse(text)))}
    assert {name: found for name, found in writers.items()
            if name not in WRITE_PATH and name not in NOT_CONTENT} == {}
    assert WRITE_PATH <= set(writers)  # each one listed still writes (the check sees its writes)


def test_every_writer_records_its_changes():
    """Each module of the write path reaches the change feed's `record`."""
    graph = grimp.build_graph("app")
    for name in WRITE_PATH - {"articles/article_query.py"}:
        module = "app." + name.removesuffix(".py").replace("/", ".")
        assert graph.chain_exists(importer=module, imported="app.sync.changes"), module


def test_settings_are_read_only_through_get_settings():
    offenders = [str(path.relative_to(APP)) for path, text in _sources(APP)
                 if re.search(r"os\.environ(?!\[\"PROMETHEUS_MULTIPROC_DIR\"\] = )|os\.getenv", text)]
    assert offenders == []


def test_every_sync_route_with_a_write_session_commits_in_its_own_thread():
    """A router made without `route_class=Route` would leave its writes' commit to the event
    loop's next turn, holding SQLite's write lock meanwhile (app.api.routing.Route)."""
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
