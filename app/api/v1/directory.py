"""Public reads of people, sources, tags and authors: one router shape, four resources."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse

from app.db import ReadSessionDep
from app.models import Author, Person, Source, Tag
from app.responses import JSONBytes, page_response
from app.services import directory
from app.services.directory import DirectoryParams


def directory_router(model: type, path: str, noun: str) -> APIRouter:
    router = APIRouter(prefix=f"/{path}", tags=[path])

    @router.get("", summary=f"List {path}", operation_id=f"list_{path}")
    def list_items(request: Request, params: Annotated[DirectoryParams, Query()], session: ReadSessionDep):
        page = directory.list_items(session, model, params)
        return page_response(page.items, page, request.url)

    @router.get("/{slug}", summary=f"Get a {noun}", operation_id=f"get_{noun}")
    def get_item(slug: str, request: Request, session: ReadSessionDep):
        found = directory.get_by_slug(session, model, slug)
        if isinstance(found, str):
            return RedirectResponse(str(request.url.replace(path=f"/v1/{path}/{found}")), status_code=301)
        return JSONBytes(directory.represent(found))

    return router


people = directory_router(Person, "people", "person")
sources = directory_router(Source, "sources", "source")
tags = directory_router(Tag, "tags", "tag")
authors = directory_router(Author, "authors", "author")
