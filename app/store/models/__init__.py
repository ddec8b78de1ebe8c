"""Every table model, imported here so that the metadata knows them all."""

from app.store.models.article import (
    Article,
    ArticleAuthor,
    ArticleCategory,
    ArticleStatus,
    ArticleTag,
    ArticleUpdate,
    Attribution,
    AttributionRole,
    Quote,
    SiteSetting,
    SlugRedirect,
    UpdateAttribution,
    UpdateQuote,
)
from app.store.models.cache import CachePurge
from app.store.models.change import Change
from app.store.models.correction import ArticleCorrection, CorrectionKind
from app.store.models.document import ArticleDocument
from app.store.models.key import ApiKey, Scope
from app.store.models.pending import ArticlePending
from app.store.models.people import Person, Source, SourceKind
from app.store.models.revision import ArticleRevision, ArticleUpdateRevision
from app.store.models.secret import ServerSecret
from app.store.models.sitemap import SitemapChange, SitemapMonth
from app.store.models.taxonomy import Author, Category, Tag
from app.store.models.webhook import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "ApiKey",
    "Article",
    "ArticleAuthor",
    "ArticleCategory",
    "ArticleCorrection",
    "ArticleDocument",
    "ArticlePending",
    "ArticleRevision",
    "ArticleStatus",
    "ArticleTag",
    "ArticleUpdate",
    "ArticleUpdateRevision",
    "Attribution",
    "AttributionRole",
    "Author",
    "CachePurge",
    "Category",
    "Change",
    "CorrectionKind",
    "Person",
    "Quote",
    "Scope",
    "ServerSecret",
    "SiteSetting",
    "SitemapChange",
    "SitemapMonth",
    "SlugRedirect",
    "Source",
    "SourceKind",
    "Tag",
    "UpdateAttribution",
    "UpdateQuote",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
