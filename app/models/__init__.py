"""Every table model, imported here so that the metadata knows them all."""

from app.models.article import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleStatus,
    ArticleTag,
    Attribution,
    AttributionRole,
    Quote,
    SiteSetting,
    SlugRedirect,
)
from app.models.cache import CachePurge
from app.models.change import Change
from app.models.document import ArticleDocument
from app.models.key import ApiKey, Scope
from app.models.people import Person, Source, SourceKind
from app.models.revision import ArticleRevision
from app.models.taxonomy import Author, Category, Tag
from app.models.webhook import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "ApiKey",
    "Scope",
    "Article",
    "ArticleAuthor",
    "ArticleCategory",
    "ArticleDocument",
    "ArticleRevision",
    "ArticleStatus",
    "ArticleTag",
    "Attribution",
    "AttributionRole",
    "Author",
    "CachePurge",
    "Change",
    "Category",
    "Person",
    "Quote",
    "SiteSetting",
    "SlugRedirect",
    "Source",
    "SourceKind",
    "Tag",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
