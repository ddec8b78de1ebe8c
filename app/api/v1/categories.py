"""Public reads of categories: the menu, flat or as a tree, and one category."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse

from app.db import ReadSessionDep
from app.responses import JSONBytes
from app.services import categories

router = APIRouter(prefix="/categories", tags=["categories"])


@router.get("", summary="List categories in menu order")
def list_categories(
    session: ReadSessionDep,
    tree: Annotated[bool, Query(description="Nest subcategories under `children`.")] = False,
):
    items = categories.list_categories(session, tree=tree)
    return JSONBytes({"data": items, "meta": {"limit": len(items), "has_more": False, "next_cursor": None}})


@router.get("/{slug}", summary="Get a category")
def get_category(slug: str, request: Request, session: ReadSessionDep):
    found = categories.get_by_slug(session, slug)
    if isinstance(found, str):
        return RedirectResponse(str(request.url.replace(path=f"/v1/categories/{found}")), status_code=301)
    return JSONBytes(categories.represent_one(session, found))
