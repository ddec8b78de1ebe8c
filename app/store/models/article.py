"""Articles, their links to categories, tags and authors, attributions and quotes."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ColumnElement, Index, String, Text, UniqueConstraint, and_, false, or_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlmodel import Field, SQLModel, col
from sqlmodel.main import SQLModelConfig

from app.store import clock
from app.store.models.common import JSONType, Timestamped, to_utc


class ArticleStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    published = "published"
    unpublished = "unpublished"
    expired = "expired"


class AttributionRole(StrEnum):
    read_on = "read_on"
    photo_credit = "photo_credit"
    wire = "wire"
    original_reporting = "original_reporting"
    translation = "translation"


class Article(Timestamped, table=True):
    model_config = SQLModelConfig(ignored_types=(hybrid_property,))
    __table_args__ = (
        # Keyset pagination of the public lists: status first, then the sort key and the id.
        Index("ix_article_status_published_at_id", "status", "published_at", "id"),
        Index("ix_article_status_updated_at_id", "status", "updated_at", "id"),
        Index("ix_article_language_status_published_at", "language", "status", "published_at"),
        # The sitemap index (app/sitemaps/): months, counts and latest changes from the index alone.
        Index(
            "ix_article_status_published_at_id_deleted_at_updated_at",
            "status",
            "published_at",
            "id",
            "deleted_at",
            "updated_at",
        ),
        # Translations (app/articles/translations.py): a group's members by its id, and the one
        # in a language with a status (`lang` with `fallback`: with the group alone, SQLite
        # chose the language's index instead and read every article in it for each row).
        Index("ix_article_translation_group_language_status", "translation_group", "language", "status"),
    )

    slug: str = Field(max_length=200, unique=True)
    external_id: str | None = Field(default=None, max_length=200, unique=True)
    canonical_url: str | None = Field(default=None, max_length=2000)
    title: str = Field(max_length=300)
    kicker: str | None = Field(default=None, max_length=200)
    standfirst: str | None = Field(default=None, sa_type=Text)
    body: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    body_html: str = Field(default="", sa_type=Text)
    language: str = Field(default="fr", max_length=8)
    status: ArticleStatus = Field(default=ArticleStatus.draft, sa_type=String(16))
    published_at: datetime | None = Field(default=None)
    publish_at: datetime | None = Field(default=None, index=True)
    # Published, it leaves the public at `expires_at` and joins it at `embargoed_until`: both
    # are read against the clock by `is_public`, and applied by app/articles/schedule.py.
    expires_at: datetime | None = Field(default=None, index=True)
    embargoed_until: datetime | None = Field(default=None, index=True)
    deleted_at: datetime | None = Field(default=None)
    category_id: str | None = Field(default=None, foreign_key="category.id", index=True)
    image_url: str | None = Field(default=None, max_length=2000)
    image_alt: str | None = Field(default=None, max_length=1000)
    image_caption: str | None = Field(default=None, max_length=2000)
    # The picture's size in pixels, as the writer gave it (both or neither): what lets a page
    # hold the picture's place before it loads.
    image_width: int | None = Field(default=None)
    image_height: int | None = Field(default=None)
    image_credit: str | None = Field(default=None, max_length=300)
    image_credit_source_id: str | None = Field(default=None, foreign_key="source.id", index=True)
    share_title: str | None = Field(default=None, max_length=300)
    share_description: str | None = Field(default=None, max_length=1000)
    word_count: int = Field(default=0)
    reading_time_minutes: int = Field(default=0)
    comments_enabled: bool = Field(default=True)
    comments_reason: str | None = Field(default=None, max_length=1000)
    # The translation group it belongs to: the id of the group's original (the article the
    # others translate), which holds its own id here; None outside any group. A group has two
    # members at least, one per language (app/articles/translations.py keeps both rules).
    translation_group: str | None = Field(default=None, max_length=26)
    # A live blog: its updates (ArticleUpdate) follow an event as it happens, from
    # `coverage_started_at` (else its publication) until `coverage_ended_at`.
    live: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    coverage_started_at: datetime | None = Field(default=None)
    coverage_ended_at: datetime | None = Field(default=None)

    @hybrid_property
    def is_public(self) -> bool:
        """What the public may see: published, not deleted, not past its expiry and not under
        embargo, as of the clock's now (app/store/clock.py). The one definition of it, for a
        loaded article (a bool) and in SQL (`WHERE article.is_public`: a condition, the
        clock's now a parameter read when the statement runs), that every public path uses:
        lists, search on both engines, quotes, feeds, export, the change feed and the site
        switch (`PUBLIC_SQL` for the few statements written as text)."""
        now = clock.now()
        return (
            self.status == ArticleStatus.published
            and self.deleted_at is None
            and (self.expires_at is None or to_utc(self.expires_at) > now)
            and (self.embargoed_until is None or to_utc(self.embargoed_until) <= now)
        )

    @is_public.inplace.expression
    @classmethod
    def _is_public_sql(cls) -> ColumnElement[bool]:
        now = clock.now_param()
        return and_(
            _published(cls),
            or_(col(cls.expires_at).is_(None), col(cls.expires_at) > now),
            or_(col(cls.embargoed_until).is_(None), col(cls.embargoed_until) <= now),
        )

    @hybrid_property
    def is_embargoed(self) -> bool:
        """Published, not deleted or expired, and withheld until `embargoed_until`, as of the
        clock's now: what a key with content:embargoed reads besides what the public sees."""
        now = clock.now()
        return (
            self.status == ArticleStatus.published
            and self.deleted_at is None
            and (self.expires_at is None or to_utc(self.expires_at) > now)
            and self.embargoed_until is not None
            and to_utc(self.embargoed_until) > now
        )

    @is_embargoed.inplace.expression
    @classmethod
    def _is_embargoed_sql(cls) -> ColumnElement[bool]:
        now = clock.now_param()
        return and_(
            _published(cls),
            or_(col(cls.expires_at).is_(None), col(cls.expires_at) > now),
            col(cls.embargoed_until) > now,
        )


def _published(cls: type[Article]) -> ColumnElement[bool]:
    """The part of `is_public` that needs no clock: published and not deleted."""
    return and_(col(cls.status) == ArticleStatus.published, col(cls.deleted_at).is_(None))


class ArticleCategory(SQLModel, table=True):
    """Every category an article is filed under, its primary one included (position 0).
    `published_at` is the article's, copied by the database as on ArticleTag (triggers of
    migration b8f2d4a6c1e3): a category's page is one range of its index, walked in order."""

    __tablename__ = "article_category"
    __table_args__ = (
        Index("ix_article_category_category_id_published_at_article_id", "category_id", "published_at", "article_id"),
    )

    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    category_id: str = Field(foreign_key="category.id", primary_key=True)
    position: int = Field(default=0)
    published_at: datetime | None = Field(default=None)


class ArticleTag(SQLModel, table=True):
    """An article's tag. `published_at` is the article's, copied by the database (triggers of
    migration a3d5f7b9c1e2, on every write of either table): a tag's page is then one range of
    `ix_article_tag_tag_id_published_at_article_id` walked in the list's order, which stops at
    the page, instead of every link of the tag read and sorted (bench/README.md)."""

    __tablename__ = "article_tag"
    __table_args__ = (Index("ix_article_tag_tag_id_published_at_article_id", "tag_id", "published_at", "article_id"),)

    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    tag_id: str = Field(foreign_key="tag.id", primary_key=True)
    position: int = Field(default=0)
    published_at: datetime | None = Field(default=None)


class ArticleAuthor(SQLModel, table=True):
    """An article's author; `published_at` is the article's, as on ArticleTag."""

    __tablename__ = "article_author"
    __table_args__ = (
        Index("ix_article_author_author_id_published_at_article_id", "author_id", "published_at", "article_id"),
    )

    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    author_id: str = Field(foreign_key="author.id", primary_key=True)
    position: int = Field(default=0)
    published_at: datetime | None = Field(default=None)


class Attribution(SQLModel, table=True):
    """Where an article's content comes from: "Lu sur Le Figaro", agency copy, a translation."""

    __table_args__ = (Index("ix_attribution_source_id_article_id", "source_id", "article_id"),)

    id: str = Field(primary_key=True, max_length=26)
    article_id: str = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    source_id: str = Field(foreign_key="source.id")
    role: AttributionRole = Field(sa_type=String(24))
    label: str | None = Field(default=None, max_length=300)
    url: str | None = Field(default=None, max_length=2000)
    position: int = Field(default=0)


class Quote(Timestamped, table=True):
    """What a named person said, in which role, where and when."""

    __table_args__ = (
        Index("ix_quote_person_id_id", "person_id", "id"),
        # `GET /v1/articles?speaker=`: the articles a person is quoted in, walked newest first
        # (app/articles/queries.py `walk`); `id` finds a person's other quotes in one article.
        Index(
            "ix_quote_person_id_article_published_at_article_id_id",
            "person_id",
            "article_published_at",
            "article_id",
            "id",
        ),
        Index("ix_quote_article_id_position", "article_id", "position"),
        Index("ix_quote_source_id_id", "source_id", "id"),  # ?source= walks its newest first
    )

    external_id: str | None = Field(default=None, max_length=200, unique=True)
    text: str = Field(sa_type=Text)
    person_id: str = Field(foreign_key="person.id")
    speaker_role: str | None = Field(default=None, max_length=300)
    article_id: str | None = Field(default=None, foreign_key="article.id", ondelete="CASCADE")
    source_id: str | None = Field(default=None, foreign_key="source.id")
    language: str = Field(default="fr", max_length=8)
    said_at: date | None = Field(default=None)
    position: int = Field(default=0)
    # Its article's published_at, copied by the database as ArticleTag's is (migration
    # a3d5f7b9c1e2); None for a quote of no article.
    article_published_at: datetime | None = Field(default=None)


class ArticleUpdate(Timestamped, table=True):
    """One entry of a live blog: its own body blocks, public when its article is."""

    __tablename__ = "article_update"
    __table_args__ = (
        # The updates list, newest first, and `since`: one index range per article.
        Index("ix_article_update_article_id_published_at_id", "article_id", "published_at", "id"),
        # An import matches an update by it (app/transfer/importer.py), as it does an article.
        Index("uq_article_update_external_id", "external_id", unique=True),
    )

    article_id: str = Field(foreign_key="article.id", max_length=26, ondelete="CASCADE")
    external_id: str | None = Field(default=None, max_length=200)
    headline: str | None = Field(default=None, max_length=300)
    body: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    body_html: str = Field(default="", sa_type=Text)
    author_id: str | None = Field(default=None, foreign_key="author.id", index=True)
    published_at: datetime
    key_event: bool = Field(default=False)
    pinned: bool = Field(default=False)


class UpdateAttribution(SQLModel, table=True):
    """Where a live blog update's content comes from, as an article's attributions: "Lu sur
    Le Figaro", a photo's "©Reuters", agency copy."""

    __tablename__ = "article_update_attribution"
    __table_args__ = (Index("ix_article_update_attribution_source_id_update_id", "source_id", "update_id"),)

    id: str = Field(primary_key=True, max_length=26)
    update_id: str = Field(foreign_key="article_update.id", max_length=26, index=True, ondelete="CASCADE")
    source_id: str = Field(foreign_key="source.id")
    role: AttributionRole = Field(sa_type=String(24))
    label: str | None = Field(default=None, max_length=300)
    url: str | None = Field(default=None, max_length=2000)
    position: int = Field(default=0)


class UpdateQuote(SQLModel, table=True):
    """A quote block of a live blog update's body: which of its blog's quotes it shows. Every
    write of the update keeps these rows, so "which updates show this quote" (the quote guard,
    app/articles/quotes.py) is one indexed query, not a read of every update's body."""

    __tablename__ = "article_update_quote"

    update_id: str = Field(foreign_key="article_update.id", max_length=26, primary_key=True, ondelete="CASCADE")
    block: int = Field(primary_key=True)  # the block's index in the update's body
    quote_id: str = Field(max_length=26, index=True)


class SlugRedirect(SQLModel, table=True):
    """An old slug of a resource; it keeps answering with 301 to the current one."""

    __tablename__ = "slug_redirect"
    __table_args__ = (UniqueConstraint("resource_type", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    resource_type: str = Field(max_length=20)
    slug: str = Field(max_length=200)
    resource_id: str = Field(max_length=26, index=True)
    created_at: datetime


class SiteSetting(SQLModel, table=True):
    """Site-wide switches, such as comments; one row per key."""

    __tablename__ = "site_setting"

    key: str = Field(primary_key=True, max_length=60)
    value: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    updated_at: datetime
    version: int = Field(default=1)


# The part of `Article.is_public` that needs no clock, as SQL text, for the search index's
# prune (statements written as text): an article past its expiry or under embargo is taken
# out of the index by the write that applies it, and every search is filtered by the whole rule.
PUBLIC_SQL = str(_published(Article).compile(compile_kwargs={"literal_binds": True}))
