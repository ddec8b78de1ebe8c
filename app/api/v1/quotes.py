"""Public reads of quotes."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.db import ReadSessionDep
from app.responses import JSONBytes, page_response
from app.services import quotes
from app.services.quotes import QuoteListParams

router = APIRouter(prefix="/quotes", tags=["quotes"])


@router.get("", summary="List quotes")
def list_quotes(request: Request, params: Annotated[QuoteListParams, Query()], session: ReadSessionDep):
    page = quotes.list_public(session, params)
    return page_response(page.items, page, request.url)


@router.get("/{quote_id}", summary="Get a quote with its speaker, role, article and source")
def get_quote(quote_id: str, session: ReadSessionDep):
    return JSONBytes(quotes.get_public(session, quote_id))
