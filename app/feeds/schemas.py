"""JSON Feed 1.1 as /feeds/feed.json writes it (https://jsonfeed.org/version/1.1): empty
fields are left out of its items."""

from datetime import datetime
from typing import Any, Literal, cast

from pydantic import Field

from app.http.schemas import ReadModel, _no_default, sometimes


class JsonFeedAuthor(ReadModel):
    name: str


class JsonFeedAttachment(ReadModel):
    url: str
    mime_type: str
    title: str = sometimes("The image's caption.")


class JsonFeedTranslation(ReadModel):
    language: str
    url: str


class JsonFeedGazette(ReadModel):
    """Gazette's extension of a JSON Feed item (JSON Feed 1.1 names extensions with a `_`)."""

    translations: list[JsonFeedTranslation] = Field(
        description="The article's public translations: each one's language and URL."
    )


class JsonFeedItem(ReadModel):
    id: str
    url: str
    title: str
    content_html: str
    date_published: datetime = sometimes("When the article was published.")
    date_modified: datetime
    language: str
    authors: list[JsonFeedAuthor] = sometimes("When the article has authors.")
    tags: list[str] = sometimes("The names of its categories, then of its tags.")
    summary: str = sometimes("Its standfirst.")
    image: str = sometimes("Its image's URL.")
    attachments: list[JsonFeedAttachment] = sometimes("Its image.")
    # `sometimes`, under the name `_gazette` (a Python attribute cannot start with `_`).
    gazette: JsonFeedGazette = cast(
        Any,
        Field(
            None,
            alias="_gazette",
            description="When the article has public translations.",
            json_schema_extra=_no_default,
        ),
    )


class JsonFeed(ReadModel):
    """The newest published articles (of a category, when asked), as JSON Feed 1.1."""

    version: Literal["https://jsonfeed.org/version/1.1"]
    title: str
    description: str
    home_page_url: str
    feed_url: str
    items: list[JsonFeedItem]
