"""Liveness and readiness."""

from fastapi import APIRouter

from app.articles import refill
from app.http.openapi import problem
from app.http.responses import JSONBytes
from app.observability import readiness
from app.observability.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="get_health", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> JSONBytes:
    # async: answered on the event loop, never queued behind the request threadpool or the
    # database pool, so liveness stays true while every thread and connection is busy.
    return JSONBytes({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get(
    "/readyz",
    operation_id="get_readiness",
    response_model=Readiness,
    summary="Readiness: the database answers, at the migrations' head",
    responses={503: problem("The database does not answer, or its migrations are behind the code's.")},
)
def readyz() -> JSONBytes:
    readiness.check_database()
    refill.ensure_started()
    return JSONBytes({"status": "ready", **readiness.replicas()}, headers={"Cache-Control": "no-store"})
