"""Deterministic synthetic newsroom content as plain row tuples, one batch of articles at a time.

Rows follow app/store/models/*.py column for column; times are naive UTC datetimes (the loaders
turn them into what each engine stores). The same seed always gives the same rows.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
from vocabulary import (
    CATEGORIES,
    EN_GLUE,
    EN_WORDS,
    FIRST_NAMES,
    FR_GLUE,
    FR_WORDS,
    LAST_NAMES,
    ORGANIZATIONS,
    PLACES,
    ROLES,
    SITE_COMMENTS,
    SOURCES,
)

from app.kit.blocks import WORDS_PER_MINUTE, render_blocks
from app.kit.text import count_words, slugify

START = datetime(2015, 1, 1)
STEP_SECONDS = 300  # one article every five minutes or so, oldest first
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_EPOCH = datetime(1970, 1, 1)
POOL_SIZE = 8192  # sentences per language and length: enough variety, made in a blink

STAMPED = ("id", "created_at", "updated_at", "version")
COLUMNS: dict[str, tuple[str, ...]] = {
    "category": (*STAMPED, "name", "description", "position", "slug", "parent_id"),
    "tag": (*STAMPED, "name", "slug"),
    "author": (*STAMPED, "name", "bio", "slug"),
    "person": (*STAMPED, "name", "description", "current_role", "organization", "slug"),
    "source": (*STAMPED, "name", "kind", "homepage", "slug"),
    "site_setting": ("key", "value", "updated_at", "version"),
    "article": (
        *STAMPED,
        "slug",
        "external_id",
        "title",
        "kicker",
        "standfirst",
        "body",
        "body_html",
        "language",
        "status",
        "published_at",
        "category_id",
        "image_url",
        "image_alt",
        "image_caption",
        "image_credit",
        "image_credit_source_id",
        "word_count",
        "reading_time_minutes",
        "comments_enabled",
    ),
    # published_at: the article's, as the database's triggers would copy it (migrations
    # a3d5f7b9c1e2, b8f2d4a6c1e3).
    "article_category": ("article_id", "category_id", "position", "published_at"),
    "article_tag": ("article_id", "tag_id", "position", "published_at"),
    "article_author": ("article_id", "author_id", "position", "published_at"),
    "attribution": ("id", "article_id", "source_id", "role", "label", "url", "position"),
    "quote": (
        *STAMPED,
        "external_id",
        "text",
        "person_id",
        "speaker_role",
        "article_id",
        "source_id",
        "language",
        "said_at",
        "position",
        "article_published_at",  # as article_tag's published_at
    ),
    # id left out: the engine numbers the feed in insertion (publication) order.
    "change": ("resource_type", "resource_id", "op", "version", "at"),
}
ENTITY_TABLES = ("category", "tag", "author", "person", "source", "site_setting")
ARTICLE_TABLES = ("article", "article_category", "article_tag", "article_author", "attribution", "quote", "change")


def ulid(when: datetime, rand: random.Random) -> str:
    """A 26-character time-ordered id laid out like app.store.models.common.new_id, from `rand`."""
    ms = int((when - _EPOCH).total_seconds() * 1000)
    value = (ms << 80) | rand.getrandbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


@dataclass
class Entities:
    """Everything articles point at, with the ids articles pick from."""

    rows: dict[str, list[tuple]] = field(default_factory=dict)
    primary_categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    people: list[tuple[str, str, str]] = field(default_factory=list)  # id, name, role
    publications: list[tuple[str, str, str]] = field(default_factory=list)  # id, name, homepage
    agencies: list[tuple[str, str]] = field(default_factory=list)
    photo_agencies: list[tuple[str, str]] = field(default_factory=list)


def _unique_names(rand: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < count:
        name = f"{rand.choice(FIRST_NAMES)} {rand.choice(LAST_NAMES)}"
        if name in seen:
            name = f"{name} {len(names)}"
        seen.add(name)
        names.append(name)
    return names


def build_entities(seed: int, *, tags: int = 2000, authors: int = 300, people: int = 5000) -> Entities:
    """Categories, tags, authors, people, sources and the site settings, from the seed."""
    rand = random.Random(f"entities:{seed}")
    when = START - timedelta(days=30)
    ent = Entities()

    def stamped(*values) -> tuple:
        return (ulid(when, rand), when, when, 1, *values)

    cats = []
    for position, (slug, name, children) in enumerate(CATEGORIES, start=1):
        parent = stamped(name, f"Toute l'actualité : {name}.", position, slug, None)
        cats.append(parent)
        ent.primary_categories.append(parent[0])
        for child_position, (child_slug, child_name) in enumerate(children, start=1):
            child = stamped(child_name, None, child_position, child_slug, parent[0])
            cats.append(child)
            ent.primary_categories += [child[0]] * 2  # articles are filed mostly in leaves
    ent.rows["category"] = cats

    tag_names: dict[str, str] = {}
    words = FR_WORDS + EN_WORDS + PLACES
    while len(tag_names) < tags:
        name = rand.choice(words).capitalize()
        if len(tag_names) >= len(words) // 2:
            name = f"{name} {rand.choice(PLACES)}"
        tag_names.setdefault(slugify(name), name)
    ent.rows["tag"] = [stamped(name, slug) for slug, name in tag_names.items()]
    ent.tags = [row[0] for row in ent.rows["tag"]]

    ent.rows["author"] = [
        stamped(
            name,
            "Journaliste, "
            f"{rand.choice(['rédaction web', 'service International', 'service Économie', 'service Société'])}.",
            slugify(name),
        )
        for name in _unique_names(rand, authors)
    ]
    ent.authors = [row[0] for row in ent.rows["author"]]

    ent.rows["person"] = []
    for name in _unique_names(rand, people):
        role, org = rand.choice(ROLES), rand.choice(ORGANIZATIONS)
        ent.rows["person"].append(stamped(name, f"{name}, {role} ({org}).", role, org, slugify(name)))
        ent.people.append((ent.rows["person"][-1][0], name, role))

    ent.rows["source"] = []
    for name, kind, homepage in SOURCES:
        row = stamped(name, kind, homepage, slugify(name))
        ent.rows["source"].append(row)
        if kind in ("publication", "broadcaster"):
            ent.publications.append((row[0], name, homepage))
        elif kind == "news_agency":
            ent.agencies.append((row[0], name))
        elif kind == "photo_agency":
            ent.photo_agencies.append((row[0], name))
    ent.rows["site_setting"] = [("comments", orjson.dumps(SITE_COMMENTS).decode(), when, 1)]
    return ent


def _skewed(rand: random.Random, items: list):
    """A few items are popular, most are rare: like tags and people in a real archive."""
    return items[int(len(items) * rand.random() ** 3)]


class _Writer:
    """Sentences in one language, drawn from pools made once: fast, and still varied enough."""

    _pools: dict[tuple[str, int, int], list[tuple[str, int]]] = {}

    def __init__(self, rand: random.Random, language: str) -> None:
        self.rand = rand
        self.language = language

    def _pool(self, low: int, high: int) -> list[tuple[str, int]]:
        key = (self.language, low, high)
        pool = self._pools.get(key)
        if pool is None:
            # Glue words twice over, so that about a third of a sentence is glue.
            fr = self.language == "fr"
            words = (FR_WORDS if fr else EN_WORDS) + PLACES + (FR_GLUE if fr else EN_GLUE) * 2
            maker = random.Random(f"pool:{key}")
            pool = []
            for _ in range(POOL_SIZE):
                text = " ".join(maker.choices(words, k=maker.randint(low, high)))
                text = text[0].upper() + text[1:]
                pool.append((text, count_words(text)))
            self._pools[key] = pool
        return pool

    def sentence(self, low: int, high: int) -> tuple[str, int]:
        """A sentence and its word count (as app.kit.text counts words)."""
        return self.rand.choice(self._pool(low, high))

    def paragraph(self) -> tuple[str, int]:
        picked = [self.sentence(8, 22) for _ in range(self.rand.randint(2, 4))]
        return ". ".join(text for text, _ in picked) + ".", sum(n for _, n in picked)


def _article(ent: Entities, rand: random.Random, n: int, out: dict[str, list[tuple]]) -> None:
    """Append article number `n` and everything that hangs off it to `out`."""
    published = START + timedelta(
        seconds=n * STEP_SECONDS + rand.randrange(STEP_SECONDS), microseconds=rand.randrange(1_000_000)
    )
    created = published - timedelta(seconds=rand.randint(600, 86_400))
    edited = rand.random() < 0.3
    updated = published + timedelta(seconds=rand.randint(60, 7200)) if edited else published
    version = 2 if edited else 1
    draft = n % 97 == 13  # about 1 % of the archive is unpublished drafts
    language = "fr" if rand.random() < 0.75 else "en"
    w = _Writer(rand, language)
    article_id = ulid(created, rand)
    title = w.sentence(5, 11)[0]
    slug = f"{slugify(title, max_length=150)}-{n:x}"

    quotes = []
    for position in range(rand.choice((0, 0, 0, 1, 1, 1, 1, 2, 2, 3))):
        person_id, person_name, role = _skewed(rand, ent.people)
        source = rand.choice(ent.publications) if rand.random() < 0.3 else None
        text, words = w.sentence(10, 25)
        quote_id = ulid(created, rand)
        out["quote"].append(
            (
                quote_id,
                created,
                created,
                1,
                None,
                text + ".",
                person_id,
                role,
                article_id,
                source[0] if source else None,
                language,
                published.date(),
                position,
                None if draft else published,
            )
        )
        quotes.append((quote_id, text + ".", words, person_name, role))

    # Word counts are summed from the pieces: the same as app.kit.text.reading_stats on the text.
    standfirst, word_count = w.sentence(15, 28)
    text, words = w.paragraph()
    blocks: list[dict] = [{"type": "paragraph", "text": text}]
    word_count += words
    for i in range(rand.randint(2, 5)):
        if i == 1 and rand.random() < 0.2:
            text, words = w.sentence(3, 7)
            blocks.append({"type": "heading", "level": 2, "text": text})
            word_count += words
        if i < len(quotes):
            blocks.append({"type": "quote", "quote_id": quotes[i][0]})
            word_count += quotes[i][2]
        text, words = w.paragraph()
        blocks.append({"type": "paragraph", "text": text})
        word_count += words
    if rand.random() < 0.1:
        items = [w.sentence(4, 9) for _ in range(3)]
        blocks.append({"type": "list", "items": [t for t, _ in items]})
        word_count += sum(c for _, c in items)
    by_id = {q: {"text": t, "speaker_name": name, "speaker_role": role} for q, t, _, name, role in quotes}
    minutes = math.ceil(word_count / WORDS_PER_MINUTE) if word_count else 0

    image = (None,) * 5
    if rand.random() < 0.7:
        agency_id, agency = rand.choice(ent.photo_agencies)
        image = (
            f"https://img.example.org/{published.year}/{n}.jpg",
            w.sentence(3, 8)[0],
            w.sentence(6, 14)[0] + ".",
            agency,
            agency_id,
        )
    categories = [_skewed(rand, ent.primary_categories)]
    if rand.random() < 0.3:
        extra = rand.choice(ent.primary_categories)
        if extra != categories[0]:
            categories.append(extra)
    out["article"].append(
        (
            article_id,
            created,
            updated,
            version,
            slug,
            f"bench-{n}",
            title,
            w.sentence(2, 4)[0] if rand.random() < 0.5 else None,
            standfirst + ".",
            orjson.dumps(blocks).decode(),
            render_blocks(blocks, by_id),
            language,
            "draft" if draft else "published",
            None if draft else published,
            categories[0],
            *image,
            word_count,
            minutes,
            rand.random() < 0.9,
        )
    )
    listed = None if draft else published
    out["article_category"] += [(article_id, c, p, listed) for p, c in enumerate(categories)]
    tags = {_skewed(rand, ent.tags) for _ in range(rand.randint(0, 5))}
    out["article_tag"] += [(article_id, t, p, listed) for p, t in enumerate(sorted(tags))]
    authors = {rand.choice(ent.authors) for _ in range(1 if rand.random() < 0.8 else 2)}
    out["article_author"] += [(article_id, a, p, listed) for p, a in enumerate(sorted(authors))]

    position = 0
    if rand.random() < 0.4:
        source_id, name, homepage = rand.choice(ent.publications)
        out["attribution"].append(
            (ulid(created, rand), article_id, source_id, "read_on", f"Lu sur {name}", f"{homepage}{slug}", position)
        )
        position += 1
    if rand.random() < 0.2:
        source_id, name = rand.choice(ent.agencies)
        out["attribution"].append((ulid(created, rand), article_id, source_id, "wire", f"Avec {name}", None, position))
    if not draft:
        out["change"].append(("article", article_id, "upsert", version, updated))


def article_batch(ent: Entities, seed: int, start: int, count: int) -> dict[str, list[tuple]]:
    """Rows of articles number start … start+count-1; the same for the same seed and start."""
    rand = random.Random(f"articles:{seed}:{start}")
    out: dict[str, list[tuple]] = {table: [] for table in ARTICLE_TABLES}
    for n in range(start, start + count):
        _article(ent, rand, n, out)
    return out
