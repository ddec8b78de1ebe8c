"""The resource types of the API, in one registry: what the change feed, webhooks, cache
keys, purges, export and import, and inline references all read.

A type's `name` is its change-feed type, its webhook event prefix, its surrogate-key prefix
and its slug_redirect type ("category"); its `plural` is its collection's path under /v1 and
the key of its lists ("categories"). `slugged` types are named by slug by the others (an
article names its tags by slug); articles, quotes and a live blog's updates are named by id.
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import SQLModel

from app.store.models.article import Article, ArticleUpdate, Quote
from app.store.models.people import Person, Source
from app.store.models.taxonomy import Author, Category, Tag


@dataclass(frozen=True)
class ResourceType:
    name: str
    plural: str
    model: type[Any]  # the table model (its own type, for callers that narrow it)
    slugged: bool


# In the order the change feed lists them and the export writes what others refer to first.
RESOURCES = (
    ResourceType("article", "articles", Article, slugged=False),
    ResourceType("quote", "quotes", Quote, slugged=False),
    ResourceType("update", "updates", ArticleUpdate, slugged=False),  # a live blog's, under its article
    ResourceType("category", "categories", Category, slugged=True),
    ResourceType("person", "people", Person, slugged=True),
    ResourceType("source", "sources", Source, slugged=True),
    ResourceType("tag", "tags", Tag, slugged=True),
    ResourceType("author", "authors", Author, slugged=True),
)
NAMES = tuple(r.name for r in RESOURCES)
BY_NAME = {r.name: r for r in RESOURCES}
BY_MODEL: dict[type[SQLModel], ResourceType] = {r.model: r for r in RESOURCES}
BY_PLURAL = {r.plural: r for r in RESOURCES}
SLUGGED = tuple(r for r in RESOURCES if r.slugged)
