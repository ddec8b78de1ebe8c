"""RSS 2.0, Atom and JSON Feed 1.1 of the latest published articles, site-wide or per category.

RSS and Atom are made by feedgen (lxml escapes every text); JSON Feed is a plain dict.
All three are built from the one article representation (view.build).
"""

import mimetypes
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exists, select
from sqlmodel import Session, col

from app.articles import queries, view
from app.http.problems import NotFound
from app.kit.text import xml_text
from app.settings import get_settings
from app.store.models import Article, ArticleCategory, Category
from app.taxonomy import categories

FEED_SIZE = 50
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}


class FeedParams(BaseModel):
    """Query parameters of every feed."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(None, max_length=200, description="Category slug; its subcategories too.")


class Feed(BaseModel):
    """What every format is drawn from: the feed's own metadata and its items."""

    title: str
    description: str
    home_page_url: str
    feed_url: str
    api_base: str
    items: list[dict[str, Any]]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _entry_id(feed: Feed, item: dict[str, Any]) -> str:
    # The article's API URL: stable forever (ids never change), unlike its slug and web URL.
    return f"{feed.api_base.rstrip('/')}/v1/articles/{item['id']}"


def _image_type(url: str) -> str:
    return mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"


def latest(session: Session, params: FeedParams, *, feed_url: str, api_base: str) -> Feed:
    """The newest published articles (of a category and its subcategories, when asked)."""
    settings = get_settings()
    site = settings.site_url.rstrip("/")
    conds = [queries.public()]
    title, description, home = settings.site_name, f"The latest from {settings.site_name}.", site
    if params.category:
        ids = categories.descendant_ids(session, params.category)
        if not ids:
            raise NotFound(f"No category with slug {params.category!r}.")
        name = session.scalar(select(col(Category.name)).where(col(Category.id) == ids[0]))
        conds.append(
            exists().where(col(ArticleCategory.article_id) == Article.id, col(ArticleCategory.category_id).in_(ids))
        )
        title = f"{settings.site_name}: {name}"
        description = f"The latest in {name} from {settings.site_name}."
        home = f"{site}/{params.category}"
    rows = list(
        session.scalars(
            select(Article)
            .where(*conds)
            .order_by(col(Article.published_at).desc(), col(Article.id).desc())
            .limit(FEED_SIZE)
        )
    )
    items = view.build(session, rows, include={"body"})
    return Feed(
        title=title, description=description, home_page_url=home, feed_url=feed_url, api_base=api_base, items=items
    )


LxmlElement = Any  # what feedgen hands its extensions: an lxml element (lxml ships no types)


class _AtomLinkEntry(BaseEntryExtension):
    """Puts back the rel, type, hreflang and length that feedgen 1.0 drops from an Atom entry's
    links, and adds the entry's translations: `<link rel="alternate" hreflang=…>` each (not
    given to feedgen, whose RSS item would take the last alternate link as its own)."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        self.translations: list[dict[str, str]] = []

    def extend_atom(self, entry: LxmlElement) -> LxmlElement:
        links = entry.findall("link")
        for element, link in zip(links, self.links, strict=False):
            for name in ("rel", "type", "hreflang", "length"):
                if link.get(name):
                    element.set(name, link[name])
        after = links[-1] if links else None
        for translation in self.translations:
            element = etree.Element("link", rel="alternate", hreflang=translation["language"], href=translation["url"])
            if after is not None:
                after.addnext(element)
                after = element
            else:
                entry.append(element)
        return entry


def _generator(feed: Feed) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # RSS <author> wants an e-mail; dc:creator takes a name
    fg.register_extension("atomlinks", BaseExtension, _AtomLinkEntry, atom=True, rss=False)
    fg.id(feed.feed_url)
    fg.title(xml_text(feed.title))
    fg.subtitle(xml_text(feed.description))
    fg.link(href=feed.home_page_url, rel="alternate")
    fg.link(href=feed.feed_url, rel="self")
    fg.generator("Gazette")
    updated = [t for t in (_time(i.get("updated_at")) for i in feed.items) if t is not None]
    if updated:
        fg.updated(max(updated))
        fg.lastBuildDate(max(updated))
    api = feed.api_base.rstrip("/") + "/v1"
    for item in feed.items:
        fe = fg.add_entry(order="append")
        entry_id = _entry_id(feed, item)
        fe.id(entry_id)
        fe.guid(entry_id, permalink=False)
        fe.title(xml_text(item["title"]))
        fe.link(href=item["url"], rel="alternate", hreflang=item["language"])
        if item.get("standfirst"):
            fe.summary(xml_text(item["standfirst"]))
        fe.content(xml_text(item.get("body_html") or item.get("standfirst") or item["title"]), type="html")
        fe.published(_time(item["published_at"]))
        fe.updated(_time(item["updated_at"]))
        for author in item.get("authors") or []:
            fe.author({"name": xml_text(author["name"]), "uri": f"{api}/authors/{author['slug']}"})
        if item.get("authors"):
            fe.dc.dc_creator([xml_text(a["name"]) for a in item["authors"]])
        for category in item.get("categories") or []:
            fe.category(term=category["slug"], label=xml_text(category["name"]), scheme=f"{api}/categories")
        for tag in item.get("tags") or []:
            fe.category(term=tag["slug"], label=xml_text(tag["name"]), scheme=f"{api}/tags")
        image = item.get("image")
        if image:
            # Size unknown: RSS 2.0 asks for a length, and 0 is the accepted "not known".
            fe.enclosure(image["url"], "0", _image_type(image["url"]))
        fe.atomlinks.links = list(fe.link())
        fe.atomlinks.translations = item.get("translations") or []
    return fg


def rss(feed: Feed) -> bytes:
    return _generator(feed).rss_str(pretty=False)


def atom(feed: Feed) -> bytes:
    return _generator(feed).atom_str(pretty=False)


def json_feed(feed: Feed) -> dict[str, Any]:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    items = []
    for item in feed.items:
        image = item.get("image")
        entry: dict[str, Any] = {
            "id": _entry_id(feed, item),
            "url": item["url"],
            "title": item["title"],
            "content_html": item.get("body_html") or "",
            "date_published": item.get("published_at"),
            "date_modified": item.get("updated_at"),
            "language": item.get("language"),
            "authors": [{"name": a["name"]} for a in item.get("authors") or []],
            "tags": [c["name"] for c in item.get("categories") or []] + [t["name"] for t in item.get("tags") or []],
        }
        if item.get("standfirst"):
            entry["summary"] = item["standfirst"]
        if item.get("translations"):
            # JSON Feed has no alternates: an extension of ours (a member named with `_`, as 1.1 asks).
            entry["_gazette"] = {
                "translations": [{"language": t["language"], "url": t["url"]} for t in item["translations"]]
            }
        if image:
            entry["image"] = image["url"]
            entry["attachments"] = [
                {
                    "url": image["url"],
                    "mime_type": _image_type(image["url"]),
                    **({"title": image["caption"]} if image.get("caption") else {}),
                }
            ]
        items.append({k: v for k, v in entry.items() if v not in (None, [])})
    return {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "description": feed.description,
        "home_page_url": feed.home_page_url,
        "feed_url": feed.feed_url,
        "items": items,
    }
