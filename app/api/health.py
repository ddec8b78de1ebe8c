"""Liveness and readiness."""

from fastapi import APIRouter

from app.articles import document_fill
from app.responses import JSONBytes
from app.store import health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz():
    return JSONBytes({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz", summary="Readiness: the database answers, at the migrations' head")
def readyz():
    health.check_database()
    document_fill.ensure_started()
    return JSONBytes({"status": "ready"}, headers={"Cache-Control": "no-store"})
