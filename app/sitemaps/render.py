"""The sitemaps' XML, built with lxml (which escapes every text): the sitemap index, article
sitemaps with their images, and the Google News sitemap.

Formats: https://www.sitemaps.org/protocol.html, Google's image and news extensions
(tests/contracts/schemas/sitemaps/ holds the schemas the tests validate against).
"""

from collections.abc import Iterable
from typing import Any

from lxml import etree

from app.articles import view
from app.kit.text import xml_text
from app.settings import get_settings
from app.sitemaps.queries import Shard
from app.store.models.common import iso

MEDIA_TYPE = "application/xml"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE = "http://www.google.com/schemas/sitemap-image/1.1"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def base_url() -> str:
    """Where the site serves the sitemaps: configured, never the request's Host."""
    settings = get_settings()
    return (settings.sitemap_base_url or settings.site_url).rstrip("/") + "/sitemaps"


def _add(parent: Any, namespace: str, name: str, text: str | None) -> Any:
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    element.text = xml_text(text)
    return element


def _bytes(root: Any) -> bytes:
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


def index(shards: Iterable[Shard]) -> bytes:
    """The sitemap index: the news sitemap, then every article sitemap, oldest first."""
    root = etree.Element(f"{{{SITEMAP}}}sitemapindex", nsmap={None: SITEMAP})
    base = base_url()
    _add(etree.SubElement(root, f"{{{SITEMAP}}}sitemap"), SITEMAP, "loc", f"{base}/news.xml")
    for shard in shards:
        entry = etree.SubElement(root, f"{{{SITEMAP}}}sitemap")
        _add(entry, SITEMAP, "loc", f"{base}/articles-{shard.name}.xml")
        if shard.lastmod is not None:
            _add(entry, SITEMAP, "lastmod", iso(shard.lastmod))
    return _bytes(root)


def _url(root: Any, row: Any) -> Any:
    url = etree.SubElement(root, f"{{{SITEMAP}}}url")
    _add(url, SITEMAP, "loc", view.canonical_url(row, row.category_slug))
    _add(url, SITEMAP, "lastmod", iso(row.updated_at))
    return url


def _image(url: Any, row: Any) -> None:
    if not row.image_url:
        return
    image = etree.SubElement(url, f"{{{IMAGE}}}image")
    _add(image, IMAGE, "loc", row.image_url)
    # The image extension has no credit of its own: it follows the caption, as under the photo.
    caption = " ".join(p for p in (row.image_caption, f"({row.image_credit})" if row.image_credit else None) if p)
    if caption:
        _add(image, IMAGE, "caption", caption)
    if row.image_alt:
        _add(image, IMAGE, "title", row.image_alt)


def articles(rows: Iterable[Any]) -> bytes:
    """An article sitemap: each article's URL, its last change, and its photo."""
    root = etree.Element(f"{{{SITEMAP}}}urlset", nsmap={None: SITEMAP, "image": IMAGE})
    for row in rows:
        _image(_url(root, row), row)
    return _bytes(root)


def news_language(language: str) -> str:
    """The language as Google News wants it: an ISO 639 code, or zh-cn / zh-tw."""
    tag = language.lower().replace("_", "-")
    if tag.startswith("zh"):
        return "zh-tw" if tag in ("zh-tw", "zh-hk", "zh-hant") or tag.startswith("zh-hant") else "zh-cn"
    return tag.split("-", 1)[0]


def news(rows: Iterable[Any]) -> bytes:
    """The Google News sitemap: the publication, the date first published and the title."""
    name = get_settings().site_name
    root = etree.Element(f"{{{SITEMAP}}}urlset", nsmap={None: SITEMAP, "news": NEWS, "image": IMAGE})
    for row in rows:
        url = _url(root, row)
        entry = etree.SubElement(url, f"{{{NEWS}}}news")
        publication = etree.SubElement(entry, f"{{{NEWS}}}publication")
        _add(publication, NEWS, "name", name)
        _add(publication, NEWS, "language", news_language(row.language))
        _add(entry, NEWS, "publication_date", iso(row.published_at))
        _add(entry, NEWS, "title", row.title)
        _image(url, row)
    return _bytes(root)
