"""Site-wide settings, with an admin key: the comments switch."""

from fastapi import APIRouter

from app.api.routing import PrimaryReadSessionDep, Route, SessionDep
from app.auth import Admin
from app.content import site, site_writes
from app.responses import JSONBytes
from app.store.models.editorial import CommentsSettingIn

router = APIRouter(prefix="/settings", tags=["settings"], route_class=Route)


@router.get("/comments", summary="The site-wide comments switch")
def get_comments(session: PrimaryReadSessionDep, _: Admin):
    return JSONBytes(site.represent_comments(session), headers={"Cache-Control": "no-store"})


@router.put("/comments", summary="Turn comments off (or on) for every article, with a reason")
def put_comments(data: CommentsSettingIn, session: SessionDep, _: Admin):
    site_writes.set_comments(session, enabled=data.enabled, reason=data.reason)
    return JSONBytes(site.represent_comments(session), headers={"Cache-Control": "no-store"})
