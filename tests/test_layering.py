"""The house rules that a grep can guard: routes hold no SQL, services raise no HTTP errors."""

import re
from pathlib import Path

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
