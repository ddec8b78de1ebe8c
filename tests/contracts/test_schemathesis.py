"""A schemathesis run over the whole OpenAPI document, against the real server.

No operation may answer 5xx, and every response must match what the document says
(status codes, content types, bodies). Driven through schemathesis' CLI, as a CI job would.
"""

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

EXAMPLES = os.environ.get("GAZETTE_SCHEMATHESIS_EXAMPLES", "15")  # more: set it higher locally
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _prepare(database_url: str) -> tuple[str, str]:
    """Demo content to read, and an admin key so write operations get past auth: its secret and id."""
    from app.demo.load import load
    from app.keys import service
    from app.store.engine import get_engine

    with Session(get_engine()) as session:
        load(session)
        key, secret = service.create_key(session, name="schemathesis", scopes=["admin"])
        key_id = key.id
        session.commit()
    return secret, key_id


def test_no_operation_errors_or_breaks_the_schema(server, database_url, tmp_path):
    secret, key_id = _prepare(database_url)
    cli = Path(sys.executable).with_name("schemathesis")

    result = subprocess.run(
        [
            str(cli),
            "run",
            f"{server}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            EXAMPLES,
            "--seed",
            "1",
            "--header",
            f"Authorization: Bearer {secret}",
            "--request-timeout",
            "20",
            "--suppress-health-check",
            "all",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "GAZETTE_SCHEMATHESIS_KEY_ID": key_id},  # never revoked (the hooks)
    )

    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
