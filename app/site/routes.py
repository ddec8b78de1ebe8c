"""Site-wide settings, with an admin key: the comments switch."""

from fastapi import APIRouter

from app.http.responses import JSONBytes
from app.http.routing import PrimaryReadSessionDep, Route, SessionDep
from app.keys.dependencies import Admin
from app.site import comments, writes
from app.site.schemas import CommentsSetting, CommentsSettingIn

router = APIRouter(prefix="/settings", tags=["settings"], route_class=Route)


@router.get(
    "/comments",
    operation_id="get_comments_setting",
    response_model=CommentsSetting,
    summary="The site-wide comments switch",
)
def get_comments(session: PrimaryReadSessionDep, _: Admin) -> JSONBytes:
    return JSONBytes(comments.represent_comments(session), headers={"Cache-Control": "no-store"})


@router.put(
    "/comments",
    operation_id="update_comments_setting",
    response_model=CommentsSetting,
    summary="Turn comments off (or on) for every article, with a reason",
)
def put_comments(data: CommentsSettingIn, session: SessionDep, _: Admin) -> JSONBytes:
    writes.set_comments(session, enabled=data.enabled, reason=data.reason)
    return JSONBytes(comments.represent_comments(session), headers={"Cache-Control": "no-store"})
