"""JSON Feed 1.1 as /feeds/feed.json writes it (https://jsonfeed.org/version/1.1): empty
fields are left out of its items."""

from datetime import datetime
from typing import Literal

from app.http.schemas import ReadModel, sometimes


class JsonFeedAuthor(ReadModel):
    name: str


class JsonFeedAttachment(ReadModel):
    url: str
    mime_type: str
    title: str = sometimes("The image's caption.")


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


class JsonFeed(ReadModel):
    """The newest published articles (of a category, when asked), as JSON Feed 1.1."""

    version: Literal["https://jsonfeed.org/version/1.1"]
    title: str
    description: str
    home_page_url: str
    feed_url: str
    items: list[JsonFeedItem]
