"""Text helpers: slugs with accents folded, HTML sanitised or stripped, word counts."""

import html
import re
import unicodedata

import nh3

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"\w+(?:[’'-]\w+)*", re.UNICODE)


# What an `html` body block may keep: text-level markup, lists, links. No script, style,
# event handler, iframe or form survives; links get rel="noopener noreferrer nofollow".
HTML_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "b",
        "i",
        "u",
        "s",
        "sub",
        "sup",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "h2",
        "h3",
        "h4",
        "code",
        "pre",
        "figure",
        "figcaption",
        "cite",
        "q",
    }
)
HTML_ATTRIBUTES = {"a": {"href", "title"}, "blockquote": {"cite"}, "q": {"cite"}}


def clean_html(markup: str) -> str:
    """Markup sanitised with nh3 to a small allow-list."""
    return nh3.clean(
        markup,
        tags=set(HTML_TAGS),
        attributes={k: set(v) for k, v in HTML_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def html_text(markup: str) -> str:
    """The readable text of some markup: every tag dropped, entities decoded."""
    return html.unescape(nh3.clean(markup, tags=set()))


# Letters that Unicode does not decompose into a base letter and an accent, folded as
# PostgreSQL's unaccent rules fold them (so both engines' search finds "Walesa" in "Wałęsa"),
# ligatures and the like spelt out.
_UNDECOMPOSED = str.maketrans(
    {
        "œ": "oe",
        "Œ": "Oe",
        "æ": "ae",
        "Æ": "Ae",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ı": "i",
        "þ": "th",
        "Þ": "TH",
        "ħ": "h",
        "Ħ": "H",
        "ŧ": "t",
        "Ŧ": "T",
        "ĸ": "q",
        "ŀ": "l",
        "Ŀ": "L",
    }
)


def fold_accents(text: str) -> str:
    """ "Choïgou" → "Choigou", "État" → "Etat"; ligatures and the like are spelt out."""
    text = text.translate(_UNDECOMPOSED)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str, *, max_length: int = 120) -> str:
    slug = _NON_SLUG.sub("-", fold_accents(text).lower()).strip("-")
    if len(slug) > max_length:
        # Cut between words: at the limit when a word ends there, else before the word it splits.
        slug = (
            slug[:max_length] if slug[max_length] == "-" else slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
        )
    return slug or "untitled"


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


# Characters XML 1.0 cannot hold at all (not even escaped); lxml refuses them.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str | None) -> str:
    """`text` without the characters XML 1.0 cannot hold (feeds and sitemaps drop them)."""
    return _NOT_XML.sub("", text or "")
