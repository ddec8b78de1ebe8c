"""Liveness and readiness."""

from fastapi import APIRouter

from app.articles import refill
from app.http.responses import JSONBytes
from app.observability import readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> JSONBytes:
    return JSONBytes({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz", summary="Readiness: the database answers, at the migrations' head")
def readyz() -> JSONBytes:
    readiness.check_database()
    refill.ensure_started()
    return JSONBytes({"status": "ready"}, headers={"Cache-Control": "no-store"})
