"""Bulk sync: GET /v1/export streams all published content as NDJSON; POST /v1/import upserts it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from app.http.middleware.body_limit import body_limit
from app.http.openapi import problem
from app.http.responses import JSONBytes
from app.http.routing import Route, SessionDep
from app.keys.dependencies import Reader, require_scope, sees_everything
from app.store.models.key import ApiKey
from app.transfer import export, importer

router = APIRouter(tags=["sync"], route_class=Route)
NDJSON = "application/x-ndjson"
ContentWriter = Annotated[ApiKey, Depends(require_scope("content:write"))]
# The response header that carries the change feed's cursor taken as the export began.
CHANGES_CURSOR = "Gazette-Changes-Cursor"


@router.get(
    "/export",
    operation_id="export_content",
    summary="Export all published content as NDJSON",
    description="No key is needed: published content only. With a key that has `content:read`, every "
    "article that is not deleted (drafts, scheduled, under embargo, expired, unpublished), each line "
    "also carrying the article's pending version (`pending`, changes staged on it and not yet published) "
    "and, scheduled or unpublished, its `state` (`status`, `publish_at`), so that an import into another "
    "Gazette brings every article back as it was.",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": 'One {"type", "data"} object per line, dependencies first.',
            "content": {NDJSON: {"schema": {"type": "string"}}},
            "headers": {
                CHANGES_CURSOR: {
                    "description": "The change feed's cursor taken before the export read anything: "
                    "GET /v1/changes?since= it brings every change the export may not show.",
                    "schema": {"type": "string"},
                }
            },
        },
        401: problem("A key was sent and is not valid."),
        403: problem("The key sent has neither `content:read` nor `content:embargoed`."),
        503: problem("No database connection came free in time; try again after Retry-After."),
    },
)
def export_ndjson(reader: Reader) -> StreamingResponse:
    # The export reads each batch on a session of its own, closed before the batch's bytes go
    # out (app/transfer/export.py): a slow reader holds no connection while it reads.
    started = export.begin(full=sees_everything(reader))
    return StreamingResponse(
        started.chunks,
        media_type=NDJSON,
        headers={
            "Content-Disposition": 'attachment; filename="gazette-export.ndjson"',
            "Cache-Control": "no-store",
            CHANGES_CURSOR: started.cursor,
        },
    )


@router.post(
    "/import",
    operation_id="import_content",
    summary="Import NDJSON: an idempotent upsert",
    response_model=importer.ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                NDJSON: {"schema": {"type": "string", "description": "NDJSON lines, as GET /v1/export writes them."}}
            },
        }
    },
    responses={
        413: {
            "description": f"The body is larger than the import limit ({importer.MAX_IMPORT_BYTES // 1_000_000} MB). "
            "Refused before anything is read when Content-Length says so; a streamed body is cut at the "
            "limit, and the problem's `report` (an ImportReport) says which lines were committed."
        },
        415: {"description": "The body is not application/x-ndjson."},
    },
)
# Not settings.max_body_bytes: the middleware reads it from here. A streamed body the importer
# counts itself, so that its 413 says which lines it committed before.
@body_limit(importer.MAX_IMPORT_BYTES, counted_by_endpoint=True)
async def import_ndjson(request: Request, key: ContentWriter, session: SessionDep) -> JSONBytes:
    # async only to read the body as it arrives; the database work runs in a worker thread,
    # on the request's session (the one the key was checked with), a transaction per batch.
    importer.check_request(request.headers.get("content-type"), request.headers.get("content-length"))
    report = await importer.import_stream(session, request.stream(), key=key)
    return JSONBytes(report.model_dump())
