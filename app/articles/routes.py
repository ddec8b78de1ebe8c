"""Public reads of articles: the list, by id, by slug."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlmodel import Session
from starlette.datastructures import URL
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from app.articles import formats, previews, queries, reads, translations
from app.articles.live import queries as live
from app.articles.queries import ArticleListParams
from app.articles.schemas import ArticleList
from app.cache import lists
from app.http import etags
from app.http.openapi import MOVED_RESPONSES, problem
from app.http.params import split_csv
from app.http.routing import ReadSessionDep, Route
from app.http.urls import api_base, public
from app.keys.dependencies import Reader, sees_embargoed, sees_everything

router = APIRouter(prefix="/articles", tags=["articles"], route_class=Route)

Fields = Annotated[str | None, Query(max_length=1000, description=queries.FIELDS_DESCRIPTION)]
FormatParam = Annotated[
    formats.ArticleFormat,
    Query(description="json (default: ArticleRead), ninjs (IPTC ninjs 3.1) or jsonld (schema.org NewsArticle)."),
]
# These reads take a key when one is sent (app/keys/dependencies.py `optional_reader`): they
# declare no security requirement, since none is needed, but the errors a key sent may draw.
OPTIONAL_KEY = (
    "No key is needed. A key with `content:read` (`Authorization: Bearer …`) also sees drafts, "
    "scheduled, unpublished, expired and deleted articles; one with `content:embargoed`, published "
    "articles still under embargo. A key that is sent must be valid."
)
OPTIONAL_KEY_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem("A key was sent and is not valid."),
    403: problem("The key sent has neither `content:read` nor `content:embargoed`."),
}
# One article in any of its formats (the components are added by app.main).
ONE_ARTICLE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The article, in the shape `format` asks for.", "content": formats.openapi_content()},
    **OPTIONAL_KEY_RESPONSES,
    410: problem("The article has expired (its `expires_at` has passed): it is no longer public."),
}
Include = Annotated[
    str | None,
    Query(
        max_length=200,
        description="`updates`: a live blog's newest updates, key events and pinned updates, as `updates` "
        "(format=json).",
    ),
]
INCLUDE = frozenset({"updates"})
Preview = Annotated[
    str | None,
    Query(
        max_length=2000, description="A preview token (POST …/preview-token): opens this article whatever its status."
    ),
]


def _private(response: Response, version: int | None = None) -> Response:
    """What a key or a preview token opened is for that caller alone: never cached, never shared."""
    response.headers["Cache-Control"] = "private, no-store"
    if version is not None:
        response.headers["ETag"] = etags.of_version(version)  # what If-Match takes
    return response


@router.get(
    "",
    operation_id="list_articles",
    response_model=ArticleList,
    summary="List published articles",
    description=OPTIONAL_KEY,
    responses=OPTIONAL_KEY_RESPONSES,
)
def list_articles(
    request: Request, params: Annotated[ArticleListParams, Query()], session: ReadSessionDep, reader: Reader
) -> Response:
    if reader is None:
        return answer_list(session, params, request.url, request.scope)
    items, page = reads.list_public(session, params, private=sees_everything(reader), embargoed=sees_embargoed(reader))
    return _private(lists.page(None, "article", items, page, request.url))


def answer_list(session: Session, params: ArticleListParams, url: URL, scope: Scope) -> Response:
    """The list as the public sees it (also answered below the router: app/articles/fast_path.py)."""
    items, page = reads.list_public(session, params)
    return lists.page(scope, "article", items, page, url)


@router.get(
    "/slug/{slug}",
    operation_id="get_article_by_slug",
    response_model=None,
    summary="Get an article by slug",
    description=OPTIONAL_KEY,
    responses={**ONE_ARTICLE, **MOVED_RESPONSES},
)
def get_article_by_slug(
    slug: str,
    request: Request,
    session: ReadSessionDep,
    reader: Reader,
    fields: Fields = None,
    format: FormatParam = formats.ArticleFormat.json,
    include: Include = None,
) -> Response:
    found = reads.get_by_slug(session, slug, private=sees_everything(reader), embargoed=sees_embargoed(reader))
    if isinstance(found, str):
        target = public(request.url, request.url.path.rsplit("/", 1)[0] + "/" + found)
        return RedirectResponse(str(target), status_code=301)
    who = translations.sight(private=sees_everything(reader), embargoed=sees_embargoed(reader))
    body = _with_updates(
        session,
        found,
        formats.represent(session, found, format=format, fields=fields, api_base=api_base(), who=who),
        include,
        format,
    )
    response = formats.response(body, format)
    return _private(response, found.version) if reader else response


@router.get(
    "/{article_id}",
    operation_id="get_article",
    response_model=None,
    summary="Get an article",
    description=OPTIONAL_KEY + " Without a key, `preview` (a preview token) opens this article whatever its status.",
    responses={**ONE_ARTICLE, 401: problem("A key or a preview token was sent and is not valid (or has expired).")},
)
def get_article(
    article_id: str,
    request: Request,
    session: ReadSessionDep,
    reader: Reader,
    fields: Fields = None,
    format: FormatParam = formats.ArticleFormat.json,
    include: Include = None,
    preview: Preview = None,
) -> Response:
    if preview is not None and reader is None:
        article = previews.open_article(session, article_id, preview)
    else:
        article = reads.get(session, article_id, private=sees_everything(reader), embargoed=sees_embargoed(reader))
    # A preview token opens its article, not its draft translations.
    who = translations.sight(private=sees_everything(reader), embargoed=sees_embargoed(reader))
    body = formats.represent(session, article, format=format, fields=fields, api_base=api_base(), who=who)
    response = formats.response(_with_updates(session, article, body, include, format), format)
    return _private(response, article.version) if reader or preview is not None else response


def _with_updates(
    session: ReadSessionDep, article: Any, body: dict[str, Any], include: str | None, format: str
) -> dict[str, Any]:
    """The article with what `include` asks for: its live blog's updates (format=json only)."""
    wanted = split_csv(include, field="include", allowed=INCLUDE) or []
    if "updates" in wanted and format == formats.ArticleFormat.json:
        body["updates"] = live.embedded(session, article)
    return body
