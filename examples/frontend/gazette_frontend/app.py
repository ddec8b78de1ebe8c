"""The site: four kinds of page, each built from the public API alone.

- `/`: the latest articles; `/rubrique/{slug}`: a category's, subcategories included.
- `/article/{slug}`: one article as the seed page shows it.
- `/recherche?q=…`: full-text search, matched words highlighted.

Every page carries the menu (the category tree). Lists page by the API's cursor. The API gives
only a `next_cursor`, so "previous" is kept by the site: each page's URL carries the cursors of
the pages before it (`back`, repeated), and going back drops the last one.
"""

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from gazette_frontend.api import Moved, NotFound, Reader, Refused, find_path

API_URL_VARIABLE = "GAZETTE_FRONTEND_API_URL"
DEFAULT_API_URL = "http://127.0.0.1:8000"
PAGE_SIZE_VARIABLE = "GAZETTE_FRONTEND_PAGE_SIZE"


def api_url() -> str:
    return os.environ.get(API_URL_VARIABLE, DEFAULT_API_URL).rstrip("/")


def page_size() -> int:
    return int(os.environ.get(PAGE_SIZE_VARIABLE, "10"))


def _json_for_script(value: Any) -> Markup:
    """JSON safe inside <script>: no `</script>` or `<!--` can close or confuse the element."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["script_json"] = _json_for_script


def _render(reader: Reader, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers={"X-Api-Requests": str(len(reader.requests))})


def _reader(request: Request) -> Reader:
    return Reader(request.app.state.client)


def _paging(request: Request, meta: dict[str, Any], **keep: str | None) -> dict[str, str | None]:
    """The next and previous links of a list page, from the API's `next_cursor` and the
    cursors this page's URL carries (`back`)."""
    cursor = request.query_params.get("cursor")
    back = request.query_params.getlist("back")
    base = {name: value for name, value in keep.items() if value}

    def link(params: dict[str, Any]) -> str:
        query = urlencode({**base, **params}, doseq=True)
        return f"{request.url.path}?{query}" if query else request.url.path

    next_link = None
    if meta.get("has_more") and meta.get("next_cursor"):
        next_link = link({"cursor": meta["next_cursor"], "back": [*back, cursor] if cursor else []})
    previous = None
    if cursor:
        previous = link({"cursor": back[-1], "back": back[:-1]} if back else {})
    return {"next": next_link, "previous": previous, "number": str(len(back) + (2 if cursor else 1))}


async def _list_page(request: Request, title: str, crumbs: list[dict[str, Any]], **filters: Any) -> Response:
    reader = _reader(request)
    cursor = request.query_params.get("cursor")
    menu, page = await asyncio.gather(
        reader.menu(), reader.articles(limit=page_size(), cursor=cursor, fields=LIST_FIELDS, **filters)
    )
    return _render(
        reader,
        "list.html",
        menu=menu,
        title=title,
        crumbs=crumbs,
        articles=page["data"],
        paging=_paging(request, page["meta"]),
    )


LIST_FIELDS = "slug,title,kicker,standfirst,published_at,category,image"


async def home(request: Request) -> Response:
    return await _list_page(request, "À la une", [])


async def category(request: Request) -> Response:
    slug = request.path_params["slug"]
    reader = _reader(request)
    menu = await reader.menu()
    crumbs = find_path(menu, slug)
    if not crumbs:
        return _render(reader, "not_found.html", 404, menu=menu)
    page = await reader.articles(
        category=slug, limit=page_size(), cursor=request.query_params.get("cursor"), fields=LIST_FIELDS
    )
    return _render(
        reader,
        "list.html",
        menu=menu,
        title=crumbs[-1]["name"],
        description=crumbs[-1].get("description"),
        crumbs=crumbs,
        articles=page["data"],
        paging=_paging(request, page["meta"]),
    )


async def article(request: Request) -> Response:
    """Three requests, sent together: the menu, the article, its JSON-LD."""
    slug = request.path_params["slug"]
    reader = _reader(request)
    try:
        menu, item, jsonld = await asyncio.gather(reader.menu(), reader.article(slug), reader.jsonld(slug))
    except Moved as moved:
        return RedirectResponse(request.url_for("article", slug=moved.slug), status_code=301)
    except NotFound:
        return _render(reader, "not_found.html", 404, menu=await reader.menu())
    quotes = {quote["id"]: quote for quote in item.get("quotes", [])}
    crumbs = find_path(menu, item["category"]["slug"]) if item.get("category") else []
    return _render(
        reader,
        "article.html",
        menu=menu,
        article=item,
        quotes=quotes,
        crumbs=crumbs,
        read_on=[a for a in item.get("attributions", []) if a["role"] == "read_on"],
        jsonld=jsonld,
    )


async def search(request: Request) -> Response:
    q = request.query_params.get("q", "").strip()
    reader = _reader(request)
    if not q:
        return _render(reader, "search.html", menu=await reader.menu(), q=q, articles=None)
    try:
        menu, page = await asyncio.gather(
            reader.menu(),
            reader.articles(
                q=q,
                highlight="true",
                count="true",
                limit=page_size(),
                cursor=request.query_params.get("cursor"),
            ),
        )
    except Refused as refused:
        return _render(reader, "search.html", 400, menu=await reader.menu(), q=q, articles=None, error=refused.detail)
    return _render(
        reader,
        "search.html",
        menu=menu,
        q=q,
        articles=page["data"],
        total=page["meta"].get("total"),
        paging=_paging(request, page["meta"], q=q),
    )


async def api_unreachable(request: Request, exc: Exception) -> Response:
    """The API is down or answered an error this site does not expect: say so, as a 502."""
    html = templates.get_template("unavailable.html").render(menu=[])
    return HTMLResponse(html, status_code=502)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # One pooled client for the process; the API answers redirects itself (an old slug), so
    # they are not followed: the site redirects the reader instead.
    async with httpx.AsyncClient(base_url=api_url(), timeout=10, follow_redirects=False) as client:
        app.state.client = client
        yield


def create_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/", home),
            Route("/rubrique/{slug}", category, name="category"),
            Route("/article/{slug}", article, name="article"),
            Route("/recherche", search, name="search"),
        ],
        lifespan=lifespan,
        exception_handlers={httpx.HTTPError: api_unreachable},
    )
