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
from app.sitemaps.queries import Alternates, Shard
from app.store.models.common import iso

MEDIA_TYPE = "application/xml"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE = "http://www.google.com/schemas/sitemap-image/1.1"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
XHTML = "http://www.w3.org/1999/xhtml"  # <xhtml:link rel="alternate" hreflang=…>: a translation


def base_url() -> str:
    """Where the site serves the sitemaps: configured, never the request's Host."""
    settings = get_settings()
    return (settings.sitemap_base_url or settings.site_url).rstrip("/") + "/sitemaps"


def _tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


# Qualified names, made once: a month's sitemap adds some 40,000 elements.
URLSET, URL, LOC, LASTMOD = (_tag(SITEMAP, n) for n in ("urlset", "url", "loc", "lastmod"))
INDEX, SITEMAP_ENTRY = _tag(SITEMAP, "sitemapindex"), _tag(SITEMAP, "sitemap")
IMAGE_ENTRY, IMAGE_LOC, IMAGE_CAPTION, IMAGE_TITLE = (_tag(IMAGE, n) for n in ("image", "loc", "caption", "title"))
XHTML_LINK = _tag(XHTML, "link")
NEWS_ENTRY, PUBLICATION, NAME, LANGUAGE, PUBLICATION_DATE, TITLE = (
    _tag(NEWS, n) for n in ("news", "publication", "name", "language", "publication_date", "title")
)


def _add(parent: Any, tag: str, text: str | None) -> Any:
    element = etree.SubElement(parent, tag)
    element.text = xml_text(text)
    return element


def _bytes(root: Any) -> bytes:
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


def index(shards: Iterable[Shard], *, news: bool = True) -> bytes:
    """The sitemap index: the news sitemap when it lists an article (an empty one is no valid
    sitemap: docs/sitemaps.md), then every article sitemap, oldest first."""
    root = etree.Element(INDEX, nsmap={None: SITEMAP})
    base = base_url()
    if news:
        _add(etree.SubElement(root, SITEMAP_ENTRY), LOC, f"{base}/news.xml")
    for shard in shards:
        entry = etree.SubElement(root, SITEMAP_ENTRY)
        _add(entry, LOC, f"{base}/articles-{shard.name}.xml")
        if shard.lastmod is not None:
            _add(entry, LASTMOD, iso(shard.lastmod))
    return _bytes(root)


def _url(root: Any, row: Any, alternates: Alternates) -> Any:
    url = etree.SubElement(root, URL)
    _add(url, LOC, view.canonical_url(row, row.category_slug))
    _add(url, LASTMOD, iso(row.updated_at))
    for language, href in alternates.get(row.id, ()):
        etree.SubElement(url, XHTML_LINK, rel="alternate", hreflang=language, href=href)
    return url


def _image(url: Any, row: Any) -> None:
    if not row.image_url:
        return
    image = etree.SubElement(url, IMAGE_ENTRY)
    _add(image, IMAGE_LOC, row.image_url)
    # The image extension has no credit of its own: it follows the caption, as under the photo.
    caption = " ".join(p for p in (row.image_caption, f"({row.image_credit})" if row.image_credit else None) if p)
    if caption:
        _add(image, IMAGE_CAPTION, caption)
    if row.image_alt:
        _add(image, IMAGE_TITLE, row.image_alt)


def articles(rows: Iterable[Any], alternates: Alternates | None = None) -> bytes:
    """An article sitemap: each article's URL, its last change, its translations (every
    language's URL, its own too) and its photo."""
    root = etree.Element(URLSET, nsmap={None: SITEMAP, "image": IMAGE, "xhtml": XHTML})
    for row in rows:
        _image(_url(root, row, alternates or {}), row)
    return _bytes(root)


def news_language(language: str) -> str:
    """The language as Google News wants it: an ISO 639 code, or zh-cn / zh-tw."""
    tag = language.lower().replace("_", "-")
    if tag.startswith("zh"):
        return "zh-tw" if tag in ("zh-tw", "zh-hk", "zh-hant") or tag.startswith("zh-hant") else "zh-cn"
    return tag.split("-", 1)[0]


def news(rows: Iterable[Any], alternates: Alternates | None = None) -> bytes:
    """The Google News sitemap: the publication, the date first published and the title (and
    the translations, as in an article sitemap)."""
    name = get_settings().site_name
    root = etree.Element(URLSET, nsmap={None: SITEMAP, "news": NEWS, "image": IMAGE, "xhtml": XHTML})
    for row in rows:
        url = _url(root, row, alternates or {})
        entry = etree.SubElement(url, NEWS_ENTRY)
        publication = etree.SubElement(entry, PUBLICATION)
        _add(publication, NAME, name)
        _add(publication, LANGUAGE, news_language(row.language))
        _add(entry, PUBLICATION_DATE, iso(row.published_at))
        _add(entry, TITLE, row.title)
        _image(url, row)
    return _bytes(root)
