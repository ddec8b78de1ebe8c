"""Mounts every /v1 router."""

from fastapi import APIRouter

from app.api.v1 import (
    article_writes,
    articles,
    bulk,
    categories,
    changes,
    directory,
    keys,
    quotes,
    settings,
    webhooks,
)

router = APIRouter(prefix="/v1")
for module_router in (
    article_writes.router,
    articles.router,
    categories.router,
    quotes.router,
    directory.people,
    directory.sources,
    directory.tags,
    directory.authors,
    keys.router,
    bulk.router,
    changes.router,
    webhooks.router,
    settings.router,
):
    router.include_router(module_router)
