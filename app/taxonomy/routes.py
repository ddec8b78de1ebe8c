"""People, sources, tags and authors: one router shape, four resources; public reads, keyed writes."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session
from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.types import Scope

from app.cache import lists
from app.http.conditional import CONDITIONAL_RESPONSES, CREATE_RESPONSES, IfMatch, written
from app.http.openapi import MOVED_RESPONSES
from app.http.responses import JSONBytes
from app.http.routing import API_PREFIX, ReadSessionDep, Route, SessionDep
from app.http.schemas import ReadModel
from app.http.urls import public
from app.keys.dependencies import Reader, Writer
from app.store.models import Author, Person, Source, Tag
from app.taxonomy import directory, writes
from app.taxonomy.directory import DirectoryParams, Listed
from app.taxonomy.schemas import (
    AuthorList,
    AuthorRead,
    PersonList,
    PersonRead,
    SourceList,
    SourceRead,
    TagList,
    TagRead,
)


def directory_router(model: type, path: str, noun: str, *, read: type[ReadModel], listed: type[ReadModel]) -> APIRouter:
    """The routes of one resource; `read` and `listed` are the shapes of one and of a page."""
    router = APIRouter(prefix=f"/{path}", tags=[path], route_class=Route)
    kind = writes.kind_of(model)

    @router.get("", summary=f"List {path}", operation_id=f"list_{path}", response_model=listed)
    def list_items(
        request: Request, params: Annotated[DirectoryParams, Query()], session: ReadSessionDep, reader: Reader
    ) -> Response:
        if reader is None:
            return answer_list(model)(session, params, request.url, request.scope)
        page = directory.list_items(session, model, params, keyed=True)
        return lists.page(None, directory.RESOURCE_TYPES[model], page.items, page, request.url)

    @router.get(
        "/{slug}", summary=f"Get a {noun}", operation_id=f"get_{noun}", response_model=read, responses=MOVED_RESPONSES
    )
    def get_item(slug: str, request: Request, session: ReadSessionDep, reader: Reader) -> Response:
        found = directory.get_by_slug(session, model, slug, keyed=reader is not None)
        if isinstance(found, str):
            return RedirectResponse(str(public(request.url, f"/v1/{path}/{found}")), status_code=301)
        return JSONBytes(directory.represent(found))

    @router.post(
        "",
        status_code=201,
        summary=f"Create a {noun}",
        operation_id=f"create_{noun}",
        response_model=read,
        responses=CREATE_RESPONSES,
    )
    # The body's model is the resource's, chosen at run time: no type a checker can name.
    def create_item(data: kind.create, session: SessionDep, _: Writer) -> JSONBytes:  # type: ignore[name-defined]
        body = writes.create(session, kind, data)
        return written(body, status_code=201, location=f"/v1/{path}/{body['slug']}")

    @router.patch(
        "/{slug}",
        summary=f"Change a {noun} (JSON Merge Patch; If-Match required)",
        operation_id=f"update_{noun}",
        response_model=read,
        responses=CONDITIONAL_RESPONSES,
    )
    def update_item(
        slug: str,
        data: kind.update,  # type: ignore[name-defined]  # the resource's, chosen at run time
        session: SessionDep,
        _: Writer,
        if_match: IfMatch = None,
    ) -> JSONBytes:
        patch = data.model_dump(mode="json", exclude_unset=True)
        return written(writes.update(session, kind, slug, patch, if_match=if_match))

    @router.delete(
        "/{slug}",
        status_code=204,
        summary=f"Delete a {noun} (If-Match required)",
        operation_id=f"delete_{noun}",
        responses=CONDITIONAL_RESPONSES,
    )
    def delete_item(slug: str, session: SessionDep, _: Writer, if_match: IfMatch = None) -> Response:
        writes.delete_(session, kind, slug, if_match=if_match)
        return Response(status_code=204)

    return router


def answer_list(model: type[Listed]) -> lists.Answer[DirectoryParams]:
    """What the list of `model` answers the public (also below the router: `LISTS`)."""

    def answer(session: Session, params: DirectoryParams, url: URL, scope: Scope) -> Response:
        page = directory.list_items(session, model, params)
        return lists.page(scope, directory.RESOURCE_TYPES[model], page.items, page, url)

    return answer


people = directory_router(Person, "people", "person", read=PersonRead, listed=PersonList)
sources = directory_router(Source, "sources", "source", read=SourceRead, listed=SourceList)
tags = directory_router(Tag, "tags", "tag", read=TagRead, listed=TagList)
authors = directory_router(Author, "authors", "author", read=AuthorRead, listed=AuthorList)


def bounded(params: DirectoryParams) -> bool:
    """A page of at most `limit` rows read from the slug's index, nothing counted or searched:
    read on the event loop on SQLite (app/cache/lists.py)."""
    return not params.q and not params.count


# The four lists answered below the router (app/cache/lists.py), as their routes answer them.
LISTS = tuple(
    lists.DirectList(API_PREFIX + router.prefix, DirectoryParams, answer_list(model), inline=bounded)
    for router, model in ((people, Person), (sources, Source), (tags, Tag), (authors, Author))
)
