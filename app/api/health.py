"""Liveness and readiness."""

from fastapi import APIRouter

from app.responses import JSONBytes
from app.store import health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz():
    return JSONBytes({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz", summary="Readiness: the database answers")
def readyz():
    health.check_database()
    return JSONBytes({"status": "ready"}, headers={"Cache-Control": "no-store"})
