"""Body blocks (paragraph, heading, list, quote, image, embed, html): their readable text
(what counts as words and what search indexes) and their HTML, escaped."""

import html
import math
from typing import Any

from app.kit.text import clean_html, count_words, html_text

WORDS_PER_MINUTE = 230


def block_text(block: dict[str, Any], quotes: dict[str, str] | None = None) -> str:
    """The readable text of one body block (what counts as words, what search indexes)."""
    kind = block.get("type")
    if kind in ("paragraph", "heading"):
        return str(block.get("text", ""))
    if kind == "list":
        return "\n".join(str(item) for item in block.get("items", []))
    if kind == "quote":
        return (quotes or {}).get(str(block.get("quote_id")), "") or str(block.get("text", ""))
    if kind == "image":
        return str(block.get("caption") or "")
    if kind == "html":
        return html_text(str(block.get("html", "")))
    return ""


def body_text(blocks: list[dict[str, Any]], quotes: dict[str, str] | None = None) -> str:
    return "\n\n".join(filter(None, (block_text(b, quotes) for b in blocks)))


def reading_stats(text: str) -> tuple[int, int]:
    """(word count, reading time in whole minutes, at least 1 when there is any text)."""
    words = count_words(text)
    return words, (math.ceil(words / WORDS_PER_MINUTE) if words else 0)


def render_blocks(blocks: list[dict[str, Any]], quotes: dict[str, dict[str, Any]] | None = None) -> str:
    """Body blocks as HTML. Every piece of text is escaped: no markup from input survives."""
    esc = html.escape
    out: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "paragraph":
            out.append(f"<p>{esc(str(block.get('text', '')))}</p>")
        elif kind == "heading":
            level = int(block.get("level", 2))
            out.append(f"<h{level}>{esc(str(block.get('text', '')))}</h{level}>")
        elif kind == "list":
            tag = "ol" if block.get("ordered") else "ul"
            items = "".join(f"<li>{esc(str(item))}</li>" for item in block.get("items", []))
            out.append(f"<{tag}>{items}</{tag}>")
        elif kind == "quote":
            quote = (quotes or {}).get(str(block.get("quote_id")), {})
            text = quote.get("text") or block.get("text", "")
            who = ", ".join(filter(None, [quote.get("speaker_name"), quote.get("speaker_role")]))
            footer = f"<footer>{esc(who)}</footer>" if who else ""
            out.append(f"<blockquote><p>{esc(str(text))}</p>{footer}</blockquote>")
        elif kind == "image":
            caption = " ".join(filter(None, [block.get("caption"), block.get("credit") and f"©{block['credit']}"]))
            out.append(
                f'<figure><img src="{esc(str(block.get("url", "")))}" alt="{esc(str(block.get("alt") or ""))}">'
                + (f"<figcaption>{esc(caption)}</figcaption>" if caption else "")
                + "</figure>"
            )
        elif kind == "embed":
            url = esc(str(block.get("url", "")))
            out.append(f'<figure class="embed"><a href="{url}">{url}</a></figure>')
        elif kind == "html":
            # Cleaned on write already; cleaned again so no stored markup is ever trusted.
            out.append(clean_html(str(block.get("html", ""))))
    return "\n".join(out)
