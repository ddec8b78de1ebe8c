"""Shapes the API reads and writes: body blocks, the article family, refs and list envelopes,
the article as schema.org NewsArticle, revisions and preview tokens."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.http.schemas import Instant, Language, ListMeta, NonBlank, ReadModel, Slug, Strict, Url, sometimes
from app.store.models.article import ArticleStatus, AttributionRole
from app.store.models.correction import CorrectionKind
from app.store.models.people import SourceKind
from app.taxonomy.schemas import RefIn

# Body blocks -----------------------------------------------------------------------------


class ParagraphBlock(Strict):
    type: Literal["paragraph"]
    text: str = Field(max_length=20_000)


class HeadingBlock(Strict):
    type: Literal["heading"]
    text: str = Field(max_length=500)
    level: int = Field(2, ge=2, le=4)


class QuoteBlock(Strict):
    """A quote standing in the body: `quote_id` of one of the article's quotes, or on
    create, `quote`, the index of one in the request's `quotes` list."""

    type: Literal["quote"]
    quote_id: str | None = Field(None, max_length=26)
    quote: int | None = Field(None, ge=0, le=199)


class ListBlock(Strict):
    type: Literal["list"]
    items: list[Annotated[str, Field(max_length=5000)]] = Field(max_length=200)
    ordered: bool = False


class ImageBlock(Strict):
    type: Literal["image"]
    url: Url
    alt: str | None = Field(None, max_length=1000)
    caption: str | None = Field(None, max_length=2000)
    credit: str | None = Field(None, max_length=300)


class EmbedBlock(Strict):
    type: Literal["embed"]
    url: Url
    provider: str | None = Field(None, max_length=100)


class HtmlBlock(Strict):
    """Markup from elsewhere (an agency feed, a legacy CMS); sanitised with nh3 on write."""

    type: Literal["html"]
    html: str = Field(max_length=50_000)


Block = Annotated[
    ParagraphBlock | HeadingBlock | QuoteBlock | ListBlock | ImageBlock | EmbedBlock | HtmlBlock,
    Field(discriminator="type"),
]
BLOCK_TYPES = frozenset({"paragraph", "heading", "quote", "list", "image", "embed", "html"})


# Read shapes -----------------------------------------------------------------------------
# What GET answers: the blocks as stored (a quote block names its quote by id, empty optional
# fields left out), the article whole. Lists leave out what `include=` brings.


class ParagraphBlockRead(ReadModel):
    type: Literal["paragraph"]
    text: str


class HeadingBlockRead(ReadModel):
    type: Literal["heading"]
    text: str
    level: int


class QuoteBlockRead(ReadModel):
    """A quote standing in the body: one of the article's `quotes`, by id."""

    type: Literal["quote"]
    quote_id: str


class ListBlockRead(ReadModel):
    type: Literal["list"]
    items: list[str]
    ordered: bool


class ImageBlockRead(ReadModel):
    type: Literal["image"]
    url: str
    alt: str = sometimes("When the image has one.")
    caption: str = sometimes("When the image has one.")
    credit: str = sometimes("When the image has one.")


class EmbedBlockRead(ReadModel):
    type: Literal["embed"]
    url: str
    provider: str = sometimes("When it was given.")


class HtmlBlockRead(ReadModel):
    """Markup from elsewhere, as sanitised when it was written."""

    type: Literal["html"]
    html: str


BlockRead = Annotated[
    ParagraphBlockRead
    | HeadingBlockRead
    | QuoteBlockRead
    | ListBlockRead
    | ImageBlockRead
    | EmbedBlockRead
    | HtmlBlockRead,
    Field(discriminator="type"),
]


class Ref(ReadModel):
    slug: str
    name: str


class SourceRef(Ref):
    kind: SourceKind | None


class ImageRead(ReadModel):
    url: str
    alt: str | None
    caption: str | None
    width: int | None = Field(description="The picture's width in pixels, as written; null when not given.")
    height: int | None = Field(description="The picture's height in pixels, as written; null when not given.")
    credit: str | None
    credit_source: Ref | None


class AttributionRead(ReadModel):
    role: AttributionRole
    label: str | None
    url: str | None
    source: SourceRef


class QuoteInArticle(ReadModel):
    id: str
    text: str
    speaker: Ref
    speaker_role: str | None
    source: Ref | None
    language: str
    said_at: date | None


class CorrectionRead(ReadModel):
    """A notice appended to an article after publication. Notices are never edited or removed:
    one is withdrawn only by another."""

    id: str
    kind: CorrectionKind = Field(
        description="correction: something it said was wrong; clarification: something it said could be "
        "misread; update: something has happened since."
    )
    text: str
    created_at: datetime = Field(description="When the notice was added (the article's `updated_at` moved to it).")


class CorrectionList(ReadModel):
    data: list[CorrectionRead] = Field(description="Oldest first.")
    meta: ListMeta


class CommentsPolicy(ReadModel):
    enabled: bool
    scope: Literal["article", "site"]
    reason: str | None


class ShareRead(ReadModel):
    url: str
    title: str
    description: str | None
    image: str | None


class TranslationRef(ReadModel):
    """Another member of the article's translation group, as the reader may see it."""

    language: str
    id: str
    slug: str
    url: str
    original: bool = Field(description="This member is the group's original, the article the others translate.")
    expires_at: datetime | None = Field(description="When this translation leaves the public by itself; null: never.")


class LiveRead(ReadModel):
    """What makes an article a live blog: the event it covers, from when until when."""

    state: Literal["live", "ended"] = Field(description="`ended` once `coverage_ended_at` is set.")
    coverage_started_at: datetime | None = Field(description="When the coverage began; null: when it was published.")
    coverage_ended_at: datetime | None = Field(description="When the coverage ended; null while it goes on.")


class UpdateOf(ReadModel):
    """The live blog an update belongs to."""

    id: str
    slug: str
    title: str
    expires_at: datetime | None = Field(
        description="When the live blog expires: its updates leave the public with it (no cache keeps them longer)."
    )


class UpdateRead(ReadModel):
    """One update of a live blog, public when its article is."""

    id: str
    external_id: str | None
    article: UpdateOf
    headline: str | None
    body: list[BlockRead]
    body_html: str = Field(description="The body as sanitised HTML.")
    author: Ref | None
    attributions: list[AttributionRead] = Field(description="Where the update's content comes from.")
    published_at: datetime
    key_event: bool = Field(description="A turning point, listed in the article's `updates.key_events`.")
    pinned: bool = Field(description="Kept at the top by front ends; listed in the article's `updates.pinned`.")
    created_at: datetime
    updated_at: datetime
    version: int


class UpdateListMeta(ListMeta):
    since_cursor: str | None = Field(
        description="Pass as `since` to ask for only the updates published after the newest one here (null: none here)."
    )


class UpdateList(ReadModel):
    data: list[UpdateRead]
    meta: UpdateListMeta


class LiveUpdates(ReadModel):
    """A live blog's updates, as include=updates embeds them in the article."""

    latest: list[UpdateRead] = Field(description="The newest updates (GAZETTE_LIVEBLOG_EMBED_UPDATES of them at most).")
    next_cursor: str | None = Field(description="`cursor` for …/updates to read on after `latest`; null: no more.")
    key_events: list[UpdateRead] = Field(description="The key events, newest first (100 at most).")
    pinned: list[UpdateRead] = Field(description="The pinned updates, newest first (100 at most).")


class ArticleRead(ReadModel):
    """An article. `fields=` trims it to the fields named, and then any of them may be absent."""

    id: str
    slug: str
    external_id: str | None
    url: str
    title: str
    kicker: str | None
    standfirst: str | None
    body: list[BlockRead] = sometimes("On a single article; in a list, with include=body.")
    body_html: str = sometimes("The body as sanitised HTML, wherever `body` is.")
    language: str
    status: ArticleStatus | Literal["deleted"]
    published_at: datetime | None
    scheduled_at: datetime | None
    expires_at: datetime | None = Field(
        description="When the article leaves the public by itself (status `expired` from then on); null: never."
    )
    embargoed_until: datetime | None = Field(
        description="Published under an embargo: withheld from the public until this time. Null: none."
    )
    created_at: datetime
    updated_at: datetime
    version: int
    category: Ref | None
    categories: list[Ref]
    tags: list[Ref]
    authors: list[Ref]
    image: ImageRead | None
    attributions: list[AttributionRead] = sometimes("On a single article; in a list, with include=attributions.")
    quotes: list[QuoteInArticle] = sometimes("On a single article; in a list, with include=quotes.")
    corrections: list[CorrectionRead] = sometimes(
        "Its correction notices, oldest first: on a single article; in a list, with include=corrections."
    )
    comments: CommentsPolicy
    share: ShareRead
    word_count: int
    reading_time_minutes: int
    translations: list[TranslationRef] = Field(
        description="The other members of its translation group, by language: on public paths the public ones only, "
        "with a key every one it may read. Empty outside any group."
    )
    translation_of: str | None = Field(
        description="The id of the original this article is a translation of, when the reader may see it; null for "
        "the original itself and outside any group."
    )
    live: LiveRead | None = Field(description="A live blog's coverage (its updates: …/updates); null for an article.")
    updates: LiveUpdates = sometimes("With include=updates, on a single article.")
    highlight: str = sometimes(
        "With q and highlight=true: a short passage, HTML-escaped, with the matched words in <mark>…</mark>."
    )


class ArticleList(ReadModel):
    data: list[ArticleRead]
    meta: ListMeta


# schema.org NewsArticle, as format=jsonld shows it: what is empty is left out -----------------


class JsonLdOrganization(ReadModel):
    type: Literal["Organization"] = Field(alias="@type")
    name: str
    url: str = sometimes("The site's, for the publisher.")


class JsonLdPerson(ReadModel):
    type: Literal["Person"] = Field(alias="@type")
    name: str


class JsonLdWebPage(ReadModel):
    type: Literal["WebPage"] = Field(alias="@type")
    id: str = Field(alias="@id")


class JsonLdImageObject(ReadModel):
    type: Literal["ImageObject"] = Field(alias="@type")
    url: str
    contentUrl: str
    caption: str = sometimes("The image's caption.")
    description: str = sometimes("Its alternative text.")
    creditText: str = sometimes("Its credit.")
    width: int = sometimes("Its width in pixels, when the article gives it.")
    height: int = sometimes("Its height in pixels, when the article gives it.")
    copyrightHolder: JsonLdOrganization = sometimes("The source it is credited to.")


class JsonLdCreativeWork(ReadModel):
    """The piece an article was read on ("Lu sur Le Figaro")."""

    type: Literal["CreativeWork"] = Field(alias="@type")
    url: str = sometimes("The original's URL.")
    name: str = sometimes("Its label.")
    publisher: JsonLdOrganization


class JsonLdCorrectionComment(ReadModel):
    """A correction notice (of any kind: correction, clarification, update)."""

    type: Literal["CorrectionComment"] = Field(alias="@type")
    identifier: str
    name: CorrectionKind
    text: str
    datePublished: datetime


class JsonLdTranslation(ReadModel):
    """Another member of the article's translation group, by URL and language."""

    type: Literal["NewsArticle"] = Field(alias="@type")
    id: str = Field(alias="@id")
    url: str
    inLanguage: str


class JsonLdBlogPosting(ReadModel):
    """One update of a live blog."""

    type: Literal["BlogPosting"] = Field(alias="@type")
    identifier: str
    headline: str = Field(description="The update's headline, else the start of its text.")
    articleBody: str = sometimes("Its text.")
    datePublished: datetime
    dateModified: datetime
    author: JsonLdPerson = sometimes("Its author.")


class NewsArticle(ReadModel):
    """An article as schema.org NewsArticle in JSON-LD (format=jsonld); a live blog as LiveBlogPosting."""

    context: Literal["https://schema.org"] = Field(alias="@context")
    type: Literal["NewsArticle", "LiveBlogPosting"] = Field(alias="@type")
    id: str = Field(alias="@id")
    url: str
    mainEntityOfPage: JsonLdWebPage
    identifier: str
    headline: str
    alternativeHeadline: str = sometimes("The kicker.")
    description: str = sometimes("The standfirst.")
    articleBody: str = sometimes("The body as plain text.")
    articleSection: str | list[str] = sometimes("The category, or the categories when there are several.")
    keywords: list[str] = sometimes("The tags' names.")
    inLanguage: str
    datePublished: datetime = sometimes("When it was published.")
    dateModified: datetime
    dateCreated: datetime
    version: str
    wordCount: int
    author: list[JsonLdPerson] = sometimes("Its authors.")
    publisher: JsonLdOrganization
    image: JsonLdImageObject = sometimes("Its image.")
    isBasedOn: JsonLdCreativeWork | list[JsonLdCreativeWork] = sometimes("What it was read on.")
    mentions: list[JsonLdPerson] = sometimes("The people it quotes.")
    correction: list[JsonLdCorrectionComment] = sometimes("Its correction notices, oldest first.")

    workTranslation: list[JsonLdTranslation] = sometimes(
        "On the original of a translation group: its translations the reader may see."
    )
    translationOfWork: JsonLdTranslation = sometimes(
        "On a translation: the original it translates, when the reader may see it."
    )
    isAccessibleForFree: bool
    coverageStartTime: datetime = sometimes("A live blog's: when its coverage began.")
    coverageEndTime: datetime = sometimes("A live blog's: when its coverage ended.")
    liveBlogUpdate: list[JsonLdBlogPosting] = sometimes(
        "A live blog's newest updates (GAZETTE_LIVEBLOG_EMBED_UPDATES of them at most), newest first."
    )


# Write shapes ----------------------------------------------------------------------------


class ImageIn(Strict):
    url: Url
    alt: str | None = Field(None, max_length=1000)
    caption: str | None = Field(None, max_length=2000)
    # Its size in pixels, both or neither (a front end reserves the picture's place with them).
    width: int | None = Field(None, ge=1, le=100_000)
    height: int | None = Field(None, ge=1, le=100_000, validate_default=True)
    credit: str | None = Field(None, max_length=300)
    credit_source: RefIn | None = None

    @field_validator("height")
    @classmethod
    def _with_width(cls, height: int | None, info: ValidationInfo) -> int | None:
        if "width" not in info.data:  # the width was refused already: that error says it
            return height
        if (height is None) != (info.data["width"] is None):
            raise ValueError("width and height go together: give both, or neither")
        return height


class AttributionIn(Strict):
    source: RefIn
    role: AttributionRole
    label: str | None = Field(None, max_length=300)
    url: Url | None = None


class QuoteIn(Strict):
    # An id of one of the article's quotes keeps that quote (and its id); any other id, or
    # none, makes a new quote. Body blocks naming an id that was replaced follow it.
    id: str | None = Field(None, max_length=26)
    text: str = Field(min_length=1, max_length=10_000)
    speaker: RefIn
    speaker_role: str | None = Field(None, max_length=300)
    source: RefIn | None = None
    language: Language | None = None
    said_at: date | None = None
    external_id: str | None = Field(None, max_length=200)


class CommentsIn(Strict):
    enabled: bool = True
    reason: str | None = Field(None, max_length=1000)


class CorrectionIn(Strict):
    kind: CorrectionKind
    text: NonBlank = Field(min_length=1, max_length=5000, description="What the notice says, as readers will see it.")


class CorrectionCopy(CorrectionIn):
    """A notice as an export carries it, and an import takes it: with its id and its time."""

    id: str = Field(min_length=1, max_length=26)
    created_at: Instant


class ShareIn(Strict):
    title: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=1000)


class LiveIn(Strict):
    """Makes the article a live blog (`{}` will do); null makes it an ordinary article again."""

    coverage_started_at: Instant | None = Field(None, description="When the coverage began; null: when published.")
    coverage_ended_at: Instant | None = Field(None, description="Set when the coverage ends (`live.state` `ended`).")

    @field_validator("coverage_ended_at")
    @classmethod
    def _after_the_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        started = info.data.get("coverage_started_at")
        if value is not None and started is not None and value < started:
            raise PydanticCustomError("coverage_order", "must not be before coverage_started_at")
        return value


class ArticleCreate(Strict):
    title: NonBlank = Field(min_length=1, max_length=300)
    slug: Slug | None = None
    external_id: str | None = Field(None, min_length=1, max_length=200)
    kicker: str | None = Field(None, max_length=200)
    standfirst: str | None = Field(None, max_length=2000)
    body: list[Block] = Field(default_factory=list, max_length=500)
    language: Language = "fr"
    status: Literal["draft", "published"] = "draft"
    published_at: Instant | None = None
    expires_at: Instant | None = Field(
        None,
        description="When the published article leaves the public by itself: every public path stops showing "
        "it, an anonymous read answers 410, the change feed records a `delete` (reason `expired`) and "
        "`article.expired` is sent. A time already past expires a published article at once.",
    )
    embargoed_until: Instant | None = Field(
        None,
        description="Published, the article is withheld from the public until this time, read only by keys "
        "with `content:embargoed` (or `content:read`), and announced by `article.embargoed`; at that "
        "time it becomes public by itself (`article.published`). A time already past is no embargo.",
    )
    canonical_url: Url | None = None
    category: Slug | None = None
    categories: list[Slug] = Field(default_factory=list, max_length=20)
    tags: list[Slug] = Field(default_factory=list, max_length=50)
    authors: list[Slug] = Field(default_factory=list, max_length=20)
    image: ImageIn | None = None
    attributions: list[AttributionIn] = Field(default_factory=list, max_length=50)
    quotes: list[QuoteIn] = Field(default_factory=list, max_length=200)
    comments: CommentsIn = Field(default_factory=CommentsIn)
    share: ShareIn | None = None
    translation_of: str | None = Field(
        None,
        max_length=26,
        description="The id of an article this one translates: it joins that article's translation group (one "
        "article per language). On PATCH, null leaves the group; left out, nothing changes.",
    )
    live: LiveIn | None = Field(None, description="A live blog: its updates are written under …/updates.")


class UpdateCreate(Strict):
    """An update of a live blog: POST …/updates takes it; PATCH merges into it."""

    external_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The update's id in the system it comes from, unique: an import matches the update by it.",
    )
    headline: str | None = Field(None, max_length=300)
    body: list[Block] = Field(min_length=1, max_length=200)
    author: Slug | None = Field(None, description="An author's slug (GET /v1/authors).")
    published_at: Instant | None = Field(None, description="When it was published; left out, now.")
    key_event: bool = False
    pinned: bool = False
    attributions: list[AttributionIn] = Field(
        default_factory=list,
        max_length=50,
        description="Where the update's content comes from, as an article's: a source by slug, or by name "
        "(found, or made unlisted until the blog is public).",
    )


class UpdateRevision(ReadModel):
    """One version of a live blog's update, and who wrote it."""

    number: int = Field(description="The update's version it holds.")
    created_at: datetime
    key_id: str | None
    key_name: str | None
    snapshot: UpdateCreate = Field(description="The update then, as POST …/updates would take it.")


class UpdateRevisionList(ReadModel):
    data: list[UpdateRevision]
    meta: ListMeta


# Revisions and preview tokens --------------------------------------------------------------


class Revision(ReadModel):
    """One version of an article as a write left it, and who wrote it."""

    number: int
    version: int
    created_at: datetime
    key_id: str | None
    key_name: str | None
    title: str
    slug: str
    status: ArticleStatus | Literal["deleted"]


class RevisionDetail(Revision):
    snapshot: ArticleCreate = Field(description="The article then, as POST /v1/articles would take it.")


class RevisionList(ReadModel):
    data: list[Revision]
    meta: ListMeta


class PreviewToken(ReadModel):
    token: str
    expires_at: datetime
    url: str = Field(description="The article's path with the token: it opens the article, whatever its status.")
