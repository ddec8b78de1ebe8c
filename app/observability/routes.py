"""Liveness and readiness."""

from fastapi import APIRouter

from app.articles import refill
from app.http.responses import JSONBytes
from app.observability import readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="get_health", summary="Liveness: the process answers")
def healthz():
    return JSONBytes({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz", operation_id="get_readiness", summary="Readiness: the database answers, at the migrations' head")
def readyz():
    readiness.check_database()
    refill.ensure_started()
    return JSONBytes({"status": "ready"}, headers={"Cache-Control": "no-store"})
