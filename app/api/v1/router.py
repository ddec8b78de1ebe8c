"""Mounts every /v1 router."""

from fastapi import APIRouter

from app.api.v1 import articles, bulk, categories, changes, directory, keys, quotes, webhooks

router = APIRouter(prefix="/v1")
for module_router in (
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
):
    router.include_router(module_router)
