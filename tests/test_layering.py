"""The house rules that a grep can guard: routes hold no SQL, services raise no HTTP errors."""

import inspect
import re
from pathlib import Path

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
        for pattern in (r"\bselect\(", r"session\.add\(", r"\.commit\(", r"session\.execute\(")
        if re.search(pattern, text)
    ]
    assert offenders == []


def test_services_raise_app_errors_not_http_exceptions():
    offenders = [str(path.relative_to(APP)) for path, text in _sources(APP / "services")
                 if "HTTPException" in text or "from fastapi" in text]
    assert offenders == []


def test_settings_are_read_only_through_get_settings():
    offenders = [str(path.relative_to(APP)) for path, text in _sources(APP)
                 if re.search(r"os\.environ|os\.getenv", text)]
    assert offenders == []


def test_every_sync_route_with_a_write_session_commits_in_its_own_thread():
    """A router made without `route_class=Route` would leave its writes' commit to the event
    loop's next turn, holding SQLite's write lock meanwhile (app.db.Route)."""
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
