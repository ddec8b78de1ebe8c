"""The article in other standard shapes: IPTC ninjs 3 and schema.org NewsArticle (JSON-LD).

Both are built from the one representation (view.build), never from the tables,
so they can never show something the JSON shape would not.
"""

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session
from starlette.responses import Response

from app.articles import reads, translations, view
from app.articles.live import queries as live
from app.http.openapi import ref
from app.http.problems import InvalidParameter
from app.http.responses import JSONBytes, ScriptSafeJSONBytes
from app.kit.blocks import body_text
from app.kit.text import html_text
from app.settings import get_settings
from app.store.models import Article
from app.store.models.common import iso, utcnow


class ArticleFormat(StrEnum):
    """The shapes of one article: Gazette's own JSON, IPTC ninjs 3.1, schema.org NewsArticle."""

    json = "json"
    ninjs = "ninjs"
    jsonld = "jsonld"


MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "ninjs": "application/json",
    "jsonld": "application/ld+json",
}
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
# IPTC's JSON Schema of ninjs 3.1, as published (CC BY 4.0: ninjs-schema_3.1.md beside it).
NINJS_FILE = Path(__file__).with_name("ninjs-schema_3.1.json")
_DEFS = "#/$defs/"


def openapi_content() -> dict[str, Any]:
    """OpenAPI `content` of an answer in any format. ninjs comes as application/json, and so
    may JSON-LD to a client that reads every JSON answer with the application/json schema.
    Such a client tries the shapes in order: Ninjs, which requires only `uri`, comes last."""
    any_format = {"anyOf": [ref("ArticleRead"), ref("NewsArticle"), ref("Ninjs")]}
    return {"application/json": {"schema": any_format}, "application/ld+json": {"schema": ref("NewsArticle")}}


@lru_cache(maxsize=1)
def ninjs_components() -> dict[str, dict[str, Any]]:
    """IPTC's ninjs 3.1 schema as OpenAPI components: the root as `Ninjs`, each of its $defs as
    `Ninjs<Name>` (a title it had becomes that name: generators name classes after titles),
    references rewritten to match. The one reference out of the file, a place's GeoJSON, becomes "an object": a reader
    of the document may not reach the web."""
    source = json.loads(NINJS_FILE.read_text(encoding="utf-8"))

    def name(definition: str) -> str:
        return "Ninjs" + definition[:1].upper() + definition[1:]

    def rewritten(node: Any) -> Any:
        if isinstance(node, list):
            return [rewritten(item) for item in node]
        if not isinstance(node, dict):
            return node
        target = node.get("$ref")
        if target is not None and not target.startswith(_DEFS):
            return {"type": "object", "description": f"A GeoJSON object ({target.rstrip('#')})."}
        out = {key: rewritten(value) for key, value in node.items()}
        if target is not None:
            out["$ref"] = ref(name(target.removeprefix(_DEFS)))["$ref"]
        return out

    components = {
        name(key): rewritten(definition) | ({"title": name(key)} if "title" in definition else {})
        for key, definition in source["$defs"].items()
        if isinstance(definition, dict)
    }
    root = {key: value for key, value in source.items() if key not in ("$schema", "$id", "$defs")}
    components["Ninjs"] = {**rewritten(root), "title": "Ninjs"}
    return components


def _plain_text(item: dict[str, Any]) -> str:
    quotes = {q["id"]: q["text"] for q in item.get("quotes") or []}
    return body_text(item.get("body") or [], quotes)


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    # ninjs and schema.org both read a missing property as "unknown": leave out nulls and [].
    return {k: v for k, v in data.items() if v not in (None, [], {}, "")}


def _embargoed(item: dict[str, Any]) -> bool:
    """Whether the article is under an embargo that has not lifted yet (ISO text compares as time)."""
    until = item.get("embargoed_until")
    return isinstance(until, str) and until > (iso(utcnow()) or "")


# ninjs pubStatus: withheld is for now (not yet public: a draft, a scheduled article, an
# embargo), canceled for good (taken down, expired, deleted: it will not come back by itself).
CANCELED = frozenset({"unpublished", "expired", "deleted"})


def pub_status(item: dict[str, Any]) -> str:
    """The article's ninjs pubStatus: usable, withheld or canceled."""
    if item.get("status") == "published" and not _embargoed(item):
        return "usable"
    return "canceled" if item.get("status") in CANCELED else "withheld"


def to_ninjs(item: dict[str, Any], *, api_base: str) -> dict[str, Any]:
    """IPTC ninjs 3.1 (validates against ninjs-schema_3.1.json)."""
    api = api_base.rstrip("/") + "/v1"
    text = _plain_text(item)
    headlines = [{"role": "main", "value": item["title"]}]
    if item.get("kicker"):
        headlines.append({"role": "kicker", "value": item["kicker"]})
    subjects = [
        _drop_empty(
            {
                "name": c["name"],
                "rel": "primary-category" if i == 0 and item.get("category") else "category",
                "literal": c["slug"],
                "uri": f"{api}/categories/{c['slug']}",
            }
        )
        for i, c in enumerate(item.get("categories") or ([item["category"]] if item.get("category") else []))
    ]
    subjects += [
        {"name": t["name"], "rel": "tag", "literal": t["slug"], "uri": f"{api}/tags/{t['slug']}"}
        for t in item.get("tags") or []
    ]
    people = [
        {"name": a["name"], "rel": "author", "literal": a["slug"], "uri": f"{api}/authors/{a['slug']}"}
        for a in item.get("authors") or []
    ]
    seen: set[str] = set()
    for quote in item.get("quotes") or []:
        speaker = quote["speaker"]
        if speaker["slug"] not in seen:
            seen.add(speaker["slug"])
            people.append(
                {
                    "name": speaker["name"],
                    "rel": "quoted",
                    "literal": speaker["slug"],
                    "uri": f"{api}/people/{speaker['slug']}",
                }
            )
    info_sources = []
    associations = []
    for attribution in item.get("attributions") or []:
        source = attribution["source"]
        info_sources.append(
            {
                "name": source["name"],
                "role": attribution["role"],
                "literal": source["slug"],
                "uri": f"{api}/sources/{source['slug']}",
            }
        )
        if attribution.get("url"):
            # The original piece ("Lu sur Le Figaro"): a text associated with this one.
            associations.append(
                _drop_empty(
                    {
                        "name": attribution["role"],
                        "rel": attribution["role"],
                        "uri": attribution["url"],
                        "type": "text",
                        "headlines": [{"value": attribution["label"]}] if attribution.get("label") else [],
                        "infoSources": [{"name": source["name"], "role": "publisher", "literal": source["slug"]}],
                    }
                )
            )
    image = item.get("image")
    if image:
        credit_source = image.get("credit_source")
        descriptions = [{"role": "caption", "value": image["caption"]}] if image.get("caption") else []
        if image.get("alt"):
            descriptions.append({"role": "alt", "value": image["alt"]})
        associations.insert(
            0,
            _drop_empty(
                {
                    "name": "featureimage",
                    "rel": "featureimage",
                    "uri": image["url"],
                    "type": "picture",
                    "descriptions": descriptions,
                    "by": image.get("credit"),
                    "copyrightHolder": image.get("credit"),
                    "copyrightNotice": f"©{image['credit']}" if image.get("credit") else None,
                    "infoSources": [
                        {
                            "name": credit_source["name"],
                            "role": "photo_credit",
                            "literal": credit_source["slug"],
                            "uri": f"{api}/sources/{credit_source['slug']}",
                        }
                    ]
                    if credit_source
                    else [],
                    "renditions": [
                        _drop_empty(
                            {
                                "name": "original",
                                "href": image["url"],
                                "width": image.get("width"),
                                "height": image.get("height"),
                            }
                        )
                    ],
                }
            ),
        )
    # Each correction notice: a text associated with the article, `rel` its kind, with its own
    # URI and time (ninjs 3.1 has no field for notices; an association carries all of one).
    associations += [
        {
            "name": notice["kind"],
            "rel": notice["kind"],
            "uri": f"{api}/articles/{item['id']}/corrections/{notice['id']}",
            "type": "text",
            "firstCreated": notice["created_at"],
            "versionCreated": notice["created_at"],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": notice["text"]}],
        }
        for notice in item.get("corrections") or []
    ]
    alt_ids = [{"role": "id", "value": item["id"]}, {"role": "slug", "value": item["slug"]}]
    if item.get("external_id"):
        alt_ids.append({"role": "external_id", "value": item["external_id"]})
    return _drop_empty(
        {
            "uri": f"{api}/articles/{item['id']}",
            "standard": {"name": "ninjs", "version": "3.1", "schema": NINJS_SCHEMA},
            "type": "text",
            "representationType": "full",
            "version": str(item["version"]),
            "firstCreated": item.get("created_at"),
            "versionCreated": item.get("updated_at"),
            "contentCreated": item.get("published_at"),
            "pubStatus": pub_status(item),
            "embargoedUntil": item.get("embargoed_until") if _embargoed(item) else None,
            "expires": item.get("expires_at"),
            "language": item.get("language"),
            "slugline": item["slug"],
            "headlines": headlines,
            "descriptions": [{"role": "summary", "value": item["standfirst"]}] if item.get("standfirst") else [],
            "bodies": [
                {
                    "role": "main",
                    "contentType": "text/html",
                    "value": item.get("body_html") or "",
                    "wordCount": item.get("word_count", 0),
                    "charCount": len(text),
                },
                {
                    "role": "main",
                    "contentType": "text/plain",
                    "value": text,
                    "wordCount": item.get("word_count", 0),
                    "charCount": len(text),
                },
            ],
            "by": ", ".join(a["name"] for a in item.get("authors") or []),
            "people": people,
            "subjects": subjects,
            "infoSources": info_sources,
            "associations": associations,
            "renditions": [{"name": "web", "href": item["url"], "contentType": "text/html"}],
            "altIds": alt_ids,
        }
    )


def _work(ref: dict[str, Any]) -> dict[str, Any]:
    """A translation as schema.org names another work: by its URL, with its language."""
    return {"@type": "NewsArticle", "@id": ref["url"], "url": ref["url"], "inLanguage": ref["language"]}


def _based_on(attributions: list[dict[str, Any]] | None) -> Any:
    """What an article or an update was read on ("Lu sur Le Figaro") as schema.org
    `isBasedOn`: one CreativeWork, or a list of them (None for none)."""
    works = [
        _drop_empty(
            {
                "@type": "CreativeWork",
                "url": a.get("url"),
                "name": a.get("label"),
                "publisher": {"@type": "Organization", "name": a["source"]["name"]},
            }
        )
        for a in attributions or []
        if a["role"] == "read_on"
    ]
    return works[0] if len(works) == 1 else works


def _blog_posting(update: dict[str, Any]) -> dict[str, Any]:
    """One update of a live blog as schema.org BlogPosting: a headline (its own, else the
    start of its text: Google reads 110 characters), its text, its times and author, and
    what it was read on (`isBasedOn`, as for the article)."""
    text = html_text(update["body_html"])
    headline = update.get("headline") or (text if len(text) <= 110 else text[:109].rstrip() + "…")
    return _drop_empty(
        {
            "@type": "BlogPosting",
            "identifier": update["id"],
            "headline": headline,
            "articleBody": text,
            "datePublished": update["published_at"],
            "dateModified": update["updated_at"],
            "author": {"@type": "Person", "name": update["author"]["name"]} if update.get("author") else None,
            "isBasedOn": _based_on(update.get("attributions")),
        }
    )


def to_jsonld(
    item: dict[str, Any], *, original: bool = False, updates: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """schema.org NewsArticle, as a page would embed it in <script type="application/ld+json">;
    a live blog (`item["live"]`) is a LiveBlogPosting, its newest `updates` in liveBlogUpdate.
    Translations: the group's original (`original`) lists the others as `workTranslation`; a
    translation names its original as `translationOfWork` (when the reader may see it)."""
    members = item.get("translations") or []
    of_work = [_work(m) for m in members if m["original"]]
    settings = get_settings()
    url = item["url"]
    image = item.get("image")
    image_ld = None
    if image:
        credit_source = image.get("credit_source")
        image_ld = _drop_empty(
            {
                "@type": "ImageObject",
                "url": image["url"],
                "contentUrl": image["url"],
                "caption": image.get("caption"),
                "description": image.get("alt"),
                "creditText": image.get("credit"),
                "width": image.get("width"),
                "height": image.get("height"),
                "copyrightHolder": {"@type": "Organization", "name": credit_source["name"]} if credit_source else None,
            }
        )
    based_on = _based_on(item.get("attributions"))
    speakers: dict[str, dict[str, str]] = {}
    for quote in item.get("quotes") or []:
        speakers.setdefault(quote["speaker"]["slug"], {"@type": "Person", "name": quote["speaker"]["name"]})
    sections = [c["name"] for c in item.get("categories") or []] or (
        [item["category"]["name"]] if item.get("category") else []
    )
    return _drop_empty(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "@id": url,
            "url": url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "identifier": item["id"],
            "headline": item["title"],
            "alternativeHeadline": item.get("kicker"),
            "description": item.get("standfirst"),
            "articleBody": _plain_text(item),
            "articleSection": sections[0] if len(sections) == 1 else sections,
            "keywords": [t["name"] for t in item.get("tags") or []],
            "inLanguage": item.get("language"),
            "datePublished": item.get("published_at"),
            "dateModified": item.get("updated_at"),
            "dateCreated": item.get("created_at"),
            "expires": item.get("expires_at"),
            "version": str(item["version"]),
            "wordCount": item.get("word_count"),
            "author": [{"@type": "Person", "name": a["name"]} for a in item.get("authors") or []],
            "publisher": {"@type": "Organization", "name": settings.site_name, "url": settings.site_url},
            "image": image_ld,
            "isBasedOn": based_on,
            "mentions": list(speakers.values()),
            "correction": [
                {
                    "@type": "CorrectionComment",
                    "identifier": notice["id"],
                    "name": notice["kind"],
                    "text": notice["text"],
                    "datePublished": notice["created_at"],
                }
                for notice in item.get("corrections") or []
            ],
            "workTranslation": [_work(m) for m in members] if original else [],
            "translationOfWork": of_work[0] if of_work and not original else None,
            "isAccessibleForFree": True,
        }
        | _live_blog(item, updates)
    )


def _live_blog(item: dict[str, Any], updates: list[dict[str, Any]] | None) -> dict[str, Any]:
    live_blog = item.get("live")
    if not live_blog:
        return {}
    return {
        "@type": "LiveBlogPosting",
        "coverageStartTime": live_blog["coverage_started_at"] or item.get("published_at"),
        "coverageEndTime": live_blog["coverage_ended_at"],
        "liveBlogUpdate": [_blog_posting(u) for u in updates or []],
    }


def represent(
    session: Session,
    article: Article,
    *,
    format: ArticleFormat,
    api_base: str,
    fields: str | None = None,
    who: Any = None,
) -> dict[str, Any]:
    """The article in `format`; `fields` trims only the plain JSON shape. `who`: which of its
    translations the reader sees (`translations.sight`; default the public's)."""
    if format == "json":
        return reads.represent(session, article, fields=fields, who=who)
    if fields:
        raise InvalidParameter("fields", f"applies to format=json only, not format={format}")
    item = view.build(session, [article], who=who)[0]
    if format == "ninjs":
        return to_ninjs(item, api_base=api_base)
    original = translations.is_original(article)
    if item.get("live"):
        latest = live.newest(session, article.id, get_settings().liveblog_embed_updates)
        return to_jsonld(item, original=original, updates=live.represent_many(session, article, latest))
    return to_jsonld(item, original=original)


def response(body: dict[str, Any], format: ArticleFormat) -> Response:
    """The answer of one article in `format`: JSON-LD is made safe to paste into a
    `<script type="application/ld+json">` element as it is (`<`, `>`, `&` escaped)."""
    kind = ScriptSafeJSONBytes if format == ArticleFormat.jsonld else JSONBytes
    return kind(body, media_type=MEDIA_TYPES[format])
