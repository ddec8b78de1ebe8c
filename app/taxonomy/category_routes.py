"""Categories: the menu, flat or as a tree, and one category; create, patch and delete with a key."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.types import Scope

from app.cache import lists
from app.http.conditional import CONDITIONAL_RESPONSES, CREATE_RESPONSES, IfMatch, written
from app.http.openapi import MOVED_RESPONSES, problem
from app.http.responses import JSONBytes
from app.http.routing import API_PREFIX, ReadSessionDep, Route, SessionDep
from app.http.urls import public
from app.keys.dependencies import Writer
from app.store.models import Category
from app.taxonomy import categories, writes
from app.taxonomy.schemas import CategoryCreate, CategoryList, CategoryRead, CategoryUpdate

router = APIRouter(prefix="/categories", tags=["categories"], route_class=Route)
KIND = writes.kind_of(Category)
ReassignTo = Annotated[str | None, Query(max_length=200, description="Move its articles to this category first.")]


class CategoryListParams(BaseModel):
    tree: bool = Field(False, description="Nest subcategories under `children`.")


@router.get("", operation_id="list_categories", response_model=CategoryList, summary="List categories in menu order")
def list_categories(
    request: Request,
    session: ReadSessionDep,
    tree: Annotated[bool, Query(description=CategoryListParams.model_fields["tree"].description)] = False,
) -> Response:
    return answer_list(session, CategoryListParams(tree=tree), request.url, request.scope)


def answer_list(session: Session, params: CategoryListParams, url: URL, scope: Scope) -> Response:
    """The menu (also answered below the router: `LIST`)."""
    items = categories.list_categories(session, tree=params.tree)
    meta = {"limit": len(items), "has_more": False, "next_cursor": None}
    return lists.respond(scope, KIND.resource_type, items, lambda data: JSONBytes({"data": data, "meta": meta}))


# GET /v1/categories answered below the router (app/cache/lists.py), as `list_categories` answers it.
# The menu is a few dozen rows read whole: on SQLite, on the event loop (app/cache/lists.py).
LIST = lists.DirectList(API_PREFIX + router.prefix, CategoryListParams, answer_list, inline=lambda _: True)


@router.get(
    "/{slug}",
    operation_id="get_category",
    response_model=CategoryRead,
    summary="Get a category",
    responses=MOVED_RESPONSES,
)
def get_category(slug: str, request: Request, session: ReadSessionDep) -> Response:
    found = categories.get_by_slug(session, slug)
    if isinstance(found, str):
        return RedirectResponse(str(public(request.url, f"/v1/categories/{found}")), status_code=301)
    return JSONBytes(categories.represent_one(session, found))


@router.post(
    "",
    operation_id="create_category",
    status_code=201,
    response_model=CategoryRead,
    summary="Create a category",
    responses=CREATE_RESPONSES,
)
def create_category(data: CategoryCreate, session: SessionDep, _: Writer) -> JSONBytes:
    body = writes.create(session, KIND, data)
    return written(body, status_code=201, location=f"/v1/categories/{body['slug']}")


@router.patch(
    "/{slug}",
    operation_id="update_category",
    response_model=CategoryRead,
    summary="Change a category (JSON Merge Patch; If-Match required)",
    responses=CONDITIONAL_RESPONSES,
)
def update_category(
    slug: str, data: CategoryUpdate, session: SessionDep, _: Writer, if_match: IfMatch = None
) -> JSONBytes:
    return written(
        writes.update(session, KIND, slug, data.model_dump(mode="json", exclude_unset=True), if_match=if_match)
    )


@router.delete(
    "/{slug}",
    operation_id="delete_category",
    status_code=204,
    summary="Delete a category (If-Match required)",
    responses=CONDITIONAL_RESPONSES | {409: problem("It has subcategories, or holds articles and no reassign_to.")},
)
def delete_category(
    slug: str,
    session: SessionDep,
    _: Writer,
    if_match: IfMatch = None,
    reassign_to: ReassignTo = None,
) -> Response:
    writes.delete_(session, KIND, slug, if_match=if_match, reassign_to=reassign_to)
    return Response(status_code=204)
