"""Text helpers (app/kit/text.py): slugs, sanitised HTML, body blocks rendered and read, and
reading statistics."""

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit.blocks import WORDS_PER_MINUTE, body_text, reading_stats, render_blocks
from app.kit.text import HTML_TAGS, clean_html, count_words, fold_accents, slugify

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # the API's slug pattern


class _Markup(HTMLParser):
    """The tags and attributes of some markup, as a browser would parse them."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]


# fold_accents and slugify -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Choïgou", "Choigou"),
        ("État", "Etat"),
        ("Œuvre et cœur", "Oeuvre et coeur"),
        ("Lætitia Cæsar", "Laetitia Caesar"),
        ("Straße", "Strasse"),
        ("ﬁnance", "finance"),
        ("Nguyễn", "Nguyen"),
    ],
)
def test_accents_are_folded_and_ligatures_spelt_out(text, expected):
    assert fold_accents(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Élection présidentielle : le second tour", "election-presidentielle-le-second-tour"),
        ("L'État et l’Œuvre", "l-etat-et-l-oeuvre"),
        ("  «Municipales 2026»  !  ", "municipales-2026"),
        ("COP21 — à Paris", "cop21-a-paris"),
        ("C++ & C#", "c-c"),
        ("déjà-vu...", "deja-vu"),
        ("Straße", "strasse"),
        ("100%", "100"),
    ],
)
def test_a_slug_is_lower_case_ascii_words_joined_by_dashes(text, expected):
    assert slugify(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "!!!", "« — »", "日本語"])
def test_a_title_without_a_latin_letter_or_digit_is_untitled(text):
    assert slugify(text) == "untitled"


def test_a_long_slug_is_cut_between_words():
    title = "Le gouvernement annonce une réforme des retraites applicable dès le premier janvier"

    slug = slugify(title, max_length=40)

    assert len(slug) <= 40
    assert slugify(title).startswith(slug + "-")  # whole words of the full slug
    assert slug == "le-gouvernement-annonce-une-reforme-des"


def test_a_single_word_longer_than_the_limit_is_cut_inside_it():
    assert slugify("Anticonstitutionnellement", max_length=10) == "anticonsti"


def test_a_word_ending_exactly_at_the_limit_is_kept():
    assert slugify("Hello world again", max_length=11) == "hello-world"


def test_letters_with_a_stroke_are_folded_in_slugs():
    titles = {
        "Lech Wałęsa": "lech-walesa",
        "Łódź": "lodz",
        "Øresund": "oresund",
        "Novak Đoković": "novak-dokovic",
        "Diyarbakır": "diyarbakir",
    }

    assert {title: slugify(title) for title in titles} == titles


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=len("untitled"), max_value=200))
def test_any_text_makes_a_valid_slug_within_the_limit(text, max_length):
    slug = slugify(text, max_length=max_length)

    assert SLUG.match(slug)
    assert len(slug) <= max_length
    assert slugify(slug, max_length=max_length) == slug  # a slug is its own slug


# clean_html -------------------------------------------------------------------------------

DANGEROUS = [
    "<script>alert(1)</script>",
    "<style>body{display:none}</style>",
    '<img src="x" onerror="alert(1)">',
    '<p onclick="alert(1)">Bonjour</p>',
    '<a href="javascript:alert(1)">lien</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">lien</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input name="q"></form>',
    '<svg onload="alert(1)"><circle/></svg>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<scr<script>ipt>alert(1)</script>",
]


@pytest.mark.parametrize("markup", DANGEROUS)
def test_no_script_style_handler_or_foreign_element_survives(markup):
    cleaned = _Markup(clean_html(markup))

    assert set(cleaned.tags) <= HTML_TAGS
    assert not any(name.startswith("on") or name == "style" for _, name, _ in cleaned.attributes)
    assert not any(
        name in ("href", "src", "cite") and value and not value.startswith(("http://", "https://", "mailto:"))
        for _, name, value in cleaned.attributes
    )
    assert "<script" not in clean_html(markup).lower()


def test_script_and_style_lose_their_content_too():
    cleaned = clean_html("<p>avant</p><script>var secret = 1;</script><style>p{}</style><p>après</p>")

    assert "secret" not in cleaned and "p{}" not in cleaned
    assert "avant" in cleaned and "après" in cleaned


def test_allowed_markup_is_kept():
    markup = (
        "<h2>Titre</h2><p>Un <strong>mot</strong>, un <em>autre</em>, <b>b</b> <i>i</i> <u>u</u> <s>s</s>, "
        "H<sub>2</sub>O, m<sup>2</sup>, <code>x</code><br></p><ul><li>un</li></ul><ol><li>deux</li></ol>"
        '<blockquote cite="https://example.org/src"><p>citation</p></blockquote><pre>bloc</pre>'
        "<figure><figcaption>légende</figcaption></figure><p><cite>Livre</cite> <q>dit</q></p><h3>a</h3><h4>b</h4>"
    )

    cleaned = _Markup(clean_html(markup))

    assert set(cleaned.tags) == HTML_TAGS - {"a"}
    assert ("blockquote", "cite", "https://example.org/src") in cleaned.attributes


def test_links_keep_their_href_and_title_and_get_a_safe_rel():
    cleaned = _Markup(clean_html('<a href="https://example.org/x" title="Source" target="_blank" id="y">x</a>'))

    attributes = {name: value for _, name, value in cleaned.attributes}
    assert attributes["href"] == "https://example.org/x" and attributes["title"] == "Source"
    assert set(attributes["rel"].split()) == {"noopener", "noreferrer", "nofollow"}
    assert "target" not in attributes and "id" not in attributes


@pytest.mark.parametrize("href", ["http://example.org", "https://example.org/a?b=c", "mailto:desk@example.org"])
def test_web_and_mail_links_are_kept(href):
    assert ("a", "href", href) in _Markup(clean_html(f'<a href="{href}">x</a>')).attributes


def test_text_and_entities_survive_cleaning():
    assert clean_html("<p>Tom &amp; Jerry &lt;3</p>") == "<p>Tom &amp; Jerry &lt;3</p>"


# render_blocks ----------------------------------------------------------------------------


def test_each_block_type_renders_as_its_html():
    blocks = [
        {"type": "heading", "text": "Le contexte", "level": 3},
        {"type": "paragraph", "text": "Un paragraphe."},
        {"type": "list", "items": ["un", "deux"]},
        {"type": "list", "items": ["premier"], "ordered": True},
        {"type": "image", "url": "https://img.example.org/1.jpg", "alt": "Une place", "caption": "La place"},
        {"type": "embed", "url": "https://video.example.org/v/1"},
        {"type": "html", "html": "<p>Dépêche <em>AFP</em></p>"},
    ]

    assert render_blocks(blocks).split("\n") == [
        "<h3>Le contexte</h3>",
        "<p>Un paragraphe.</p>",
        "<ul><li>un</li><li>deux</li></ul>",
        "<ol><li>premier</li></ol>",
        '<figure><img src="https://img.example.org/1.jpg" alt="Une place"><figcaption>La place</figcaption></figure>',
        '<figure class="embed"><a href="https://video.example.org/v/1">https://video.example.org/v/1</a></figure>',
        "<p>Dépêche <em>AFP</em></p>",
    ]


def test_a_heading_without_a_level_is_an_h2():
    assert render_blocks([{"type": "heading", "text": "Titre"}]) == "<h2>Titre</h2>"


def test_an_image_caption_carries_its_credit_and_an_image_may_have_neither():
    with_credit = render_blocks([{"type": "image", "url": "https://i/1.jpg", "caption": "Paris", "credit": "AFP"}])
    credit_only = render_blocks([{"type": "image", "url": "https://i/1.jpg", "credit": "AFP"}])
    bare = render_blocks([{"type": "image", "url": "https://i/1.jpg"}])

    assert "<figcaption>Paris ©AFP</figcaption>" in with_credit
    assert "<figcaption>©AFP</figcaption>" in credit_only
    assert bare == '<figure><img src="https://i/1.jpg" alt=""></figure>'


def test_a_quote_block_shows_the_quote_and_its_speaker():
    quotes = {"Q1": {"text": "Nous ne céderons pas.", "speaker_name": "Jeanne Doe", "speaker_role": "ministre"}}

    rendered = render_blocks([{"type": "quote", "quote_id": "Q1"}], quotes)

    assert rendered == "<blockquote><p>Nous ne céderons pas.</p><footer>Jeanne Doe, ministre</footer></blockquote>"


def test_a_quote_block_without_a_role_or_without_a_known_quote():
    quotes = {"Q1": {"text": "Oui.", "speaker_name": "Jeanne Doe", "speaker_role": None}}

    assert render_blocks([{"type": "quote", "quote_id": "Q1"}], quotes) == (
        "<blockquote><p>Oui.</p><footer>Jeanne Doe</footer></blockquote>"
    )
    assert render_blocks([{"type": "quote", "quote_id": "Q9", "text": "Non."}], quotes) == (
        "<blockquote><p>Non.</p></blockquote>"
    )
    assert render_blocks([{"type": "quote", "quote_id": "Q9"}]) == "<blockquote><p></p></blockquote>"


EVIL = '<script>alert("x")</script> & "quotes" \'too\''


@pytest.mark.parametrize(
    "block",
    [
        {"type": "paragraph", "text": EVIL},
        {"type": "heading", "text": EVIL, "level": 2},
        {"type": "list", "items": ["ok", EVIL]},
        {"type": "list", "items": [EVIL], "ordered": True},
        {"type": "quote", "quote_id": "Q1"},  # text, speaker and role from the quote
        {"type": "quote", "text": EVIL},
        {"type": "image", "url": "https://i/1.jpg", "alt": EVIL},
        {"type": "image", "url": "https://i/1.jpg", "caption": EVIL},
        {"type": "image", "url": "https://i/1.jpg", "credit": EVIL},
        {"type": "image", "url": 'https://i/1.jpg" onerror="alert(1)', "alt": "x"},
        {"type": "embed", "url": 'https://v/1"><script>alert("x")</script>'},
    ],
)
def test_every_piece_of_text_is_escaped(block):
    quotes = {"Q1": {"text": EVIL, "speaker_name": EVIL, "speaker_role": EVIL}}

    rendered = render_blocks([block], quotes)
    markup = _Markup(rendered)

    assert "script" not in markup.tags
    assert {name for _, name, _ in markup.attributes} <= {"src", "alt", "href", "class"}
    assert html.escape('<script>alert("x")</script>') in rendered or "onerror=&quot;" in rendered


def test_an_html_block_is_cleaned_again_when_rendered():
    rendered = render_blocks([{"type": "html", "html": '<p onclick="x()">ok</p><script>alert(1)</script>'}])

    assert rendered == "<p>ok</p>"


def test_unknown_blocks_render_nothing():
    assert render_blocks([{"type": "poll", "question": "?"}, {"text": "no type"}]) == ""
    assert render_blocks([]) == ""


# body_text, count_words, reading_stats ----------------------------------------------------


def test_body_text_is_the_readable_text_of_each_block_in_order():
    blocks = [
        {"type": "heading", "text": "Titre"},
        {"type": "paragraph", "text": "Premier paragraphe."},
        {"type": "list", "items": ["un", "deux"]},
        {"type": "quote", "quote_id": "Q1", "text": "ancienne"},
        {"type": "quote", "quote_id": "Q9", "text": "texte du bloc"},
        {"type": "image", "url": "https://i/1.jpg", "caption": "Légende", "credit": "AFP"},
        {"type": "image", "url": "https://i/2.jpg"},
        {"type": "embed", "url": "https://v/1"},
        {"type": "html", "html": "<p>Tom &amp; <b>Jerry</b></p><script>no()</script>"},
    ]

    text = body_text(blocks, {"Q1": "La citation."})

    assert text.split("\n\n") == [
        "Titre",
        "Premier paragraphe.",
        "un\ndeux",
        "La citation.",
        "texte du bloc",
        "Légende",
        "Tom & Jerry",
    ]


def test_body_text_of_nothing_is_empty():
    assert body_text([]) == ""
    assert body_text([{"type": "paragraph", "text": ""}, {"type": "embed", "url": "https://v/1"}]) == ""


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("   \n ", 0),
        ("Un deux trois", 3),
        ("L'État, aujourd’hui, au porte-parole.", 4),
        ("COP21 en 2015 : 195 pays", 5),
        ("— … !", 0),
    ],
)
def test_words_are_counted_with_elisions_and_hyphens_inside_them(text, count):
    assert count_words(text) == count


@pytest.mark.parametrize(
    ("words", "minutes"),
    [(0, 0), (1, 1), (WORDS_PER_MINUTE, 1), (WORDS_PER_MINUTE + 1, 2), (10 * WORDS_PER_MINUTE, 10)],
)
def test_reading_time_is_whole_minutes_rounded_up_and_zero_only_without_words(words, minutes):
    assert reading_stats(" ".join(["mot"] * words)) == (words, minutes)
