"""Quotes: public reads; create, patch and delete with a key."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session
from starlette.datastructures import URL
from starlette.types import Scope

from app.cache import lists
from app.http.conditional import CONDITIONAL_RESPONSES, CREATE_RESPONSES, IfMatch, written
from app.http.openapi import problem
from app.http.responses import JSONBytes
from app.http.routing import API_PREFIX, ReadSessionDep, Route, SessionDep
from app.keys.dependencies import Writer
from app.quotes import queries, writes
from app.quotes.queries import QuoteListParams
from app.quotes.schemas import QuoteCreate, QuoteList, QuoteRead, QuoteUpdate

router = APIRouter(prefix="/quotes", tags=["quotes"], route_class=Route)


@router.get("", operation_id="list_quotes", response_model=QuoteList, summary="List quotes")
def list_quotes(request: Request, params: Annotated[QuoteListParams, Query()], session: ReadSessionDep) -> Response:
    return answer_list(session, params, request.url, request.scope)


def answer_list(session: Session, params: QuoteListParams, url: URL, scope: Scope) -> Response:
    """The list (also answered below the router: `LIST`)."""
    page = queries.list_public(session, params)
    return lists.page(scope, "quote", page.items, page, url)


@router.get(
    "/{quote_id}",
    operation_id="get_quote",
    response_model=QuoteRead,
    summary="Get a quote with its speaker, role, article and source",
)
def get_quote(quote_id: str, session: ReadSessionDep) -> JSONBytes:
    return JSONBytes(queries.get_public(session, quote_id))


@router.post(
    "",
    operation_id="create_quote",
    response_model=QuoteRead,
    status_code=201,
    summary="Create a quote, standalone or on an article",
    responses=CREATE_RESPONSES,
)
def create_quote(data: QuoteCreate, session: SessionDep, _: Writer) -> JSONBytes:
    body = writes.create_quote(session, data)
    return written(body, status_code=201, location=f"/v1/quotes/{body['id']}")


@router.patch(
    "/{quote_id}",
    operation_id="update_quote",
    response_model=QuoteRead,
    summary="Change a quote (JSON Merge Patch; If-Match required)",
    responses=CONDITIONAL_RESPONSES,
)
def update_quote(
    quote_id: str, data: QuoteUpdate, session: SessionDep, _: Writer, if_match: IfMatch = None
) -> JSONBytes:
    patch = data.model_dump(mode="json", exclude_unset=True)
    return written(writes.update_quote(session, quote_id, patch, if_match=if_match))


@router.delete(
    "/{quote_id}",
    operation_id="delete_quote",
    status_code=204,
    summary="Delete a quote (If-Match required)",
    responses=CONDITIONAL_RESPONSES | {409: problem("Its article's body shows it.")},
)
def delete_quote(quote_id: str, session: SessionDep, _: Writer, if_match: IfMatch = None) -> Response:
    writes.delete_quote(session, quote_id, if_match=if_match)
    return Response(status_code=204)


# GET /v1/quotes answered below the router (app/cache/lists.py), as `list_quotes` answers it.
LIST = lists.DirectList(API_PREFIX + router.prefix, QuoteListParams, answer_list, inline=queries.bounded)
