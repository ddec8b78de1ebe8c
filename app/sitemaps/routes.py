"""Sitemaps for search engines: the index, articles by month of publication, Google News."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from app.cache.middleware import EXPIRES_HEADER
from app.http.problems import NotFound
from app.http.routing import ReadSessionDep, Route
from app.settings import get_settings
from app.sitemaps import months, queries, render
from app.store.models.common import iso

router = APIRouter(prefix="/sitemaps", tags=["sitemaps"], route_class=Route)
XML: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The sitemap.",
        "content": {render.MEDIA_TYPE: {"schema": {"type": "string", "description": "The sitemap's XML."}}},
    }
}
# A month (2026-12), or one of its pages after the first (2026-12-2).
SHARD = r"^[1-9]\d{3}-(0[1-9]|1[0-2])(-([2-9]|[1-9]\d+))?$"
ShardName = Annotated[
    str,
    Path(
        pattern=SHARD,
        max_length=20,
        description="The month of publication, `YYYY-MM`, then `-N` for its N-th page (N ≥ 2) when it has more "
        "articles than one sitemap holds. The sitemap index names every one.",
    ),
]


def _xml(body: bytes, *, until: datetime | None = None) -> Response:
    # Surrogate keys come from the path (app/cache/surrogates.py): any write to articles purges.
    # `until`: the clock changes the answer then with no write (an embargo lifts, an article
    # expires); the response cache keeps it no longer (app/cache/middleware.py).
    headers = {EXPIRES_HEADER.decode(): iso(until) or ""} if until is not None else None
    return Response(body, media_type=render.MEDIA_TYPE, headers=headers)


@router.get(
    "/index.xml",
    operation_id="get_sitemap_index",
    summary="Sitemap index: the news sitemap (when it lists an article) and every month's article sitemaps",
    response_class=Response,
    responses=XML,
)
def sitemap_index(session: ReadSessionDep) -> Response:
    shards, until = months.shards(session, get_settings().sitemap_max_urls)
    return _xml(render.index(shards, news=queries.has_news(session)), until=until)


@router.get(
    "/news.xml",
    operation_id="get_news_sitemap",
    summary="Google News sitemap: articles published in the last 48 hours",
    response_class=Response,
    responses=XML,
)
def news_sitemap(session: ReadSessionDep) -> Response:
    rows = queries.news(session)
    return _xml(render.news(rows, queries.alternates(session, rows)))


@router.get(
    "/articles-{shard}.xml",
    operation_id="get_article_sitemap",
    summary="Sitemap of the articles published in one month (or one page of it)",
    response_class=Response,
    responses=XML,
)
def article_sitemap(shard: ShardName, session: ReadSessionDep) -> Response:
    year, month, *page = (int(part) for part in shard.split("-"))
    which = queries.Shard(year, month, page[0] if page else 1)
    rows = queries.page(session, which, get_settings().sitemap_max_urls)
    if not rows:
        raise NotFound(f"No sitemap articles-{shard}.xml: no public article is on it.")
    return _xml(render.articles(rows, queries.alternates(session, rows)))
