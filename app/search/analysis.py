"""Text analysis for search: words, accents folded, stop-words dropped, stems, per language.

It mirrors what PostgreSQL does with the `fr_unaccent` / `en_unaccent` configurations of the
search migration (unaccent first, then the Snowball stemmer and its stop-word list), so that
both engines find the same things: SQLite indexes what `analyse` returns, and the query parser
uses it on both engines to decide which words count.
"""

import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Protocol

import snowballstemmer

from app.kit.text import fold_accents

# Analysers: a Snowball language, or "simple" (accents folded, no stemming, no stop-words).
ANALYSERS = ("fr", "en", "simple")
PG_CONFIGS = {"fr": "fr_unaccent", "en": "en_unaccent", "simple": "simple_unaccent"}
_SNOWBALL = {"fr": "french", "en": "english"}

# The Snowball stop-word lists, exactly as PostgreSQL ships them (tsearch_data/*.stop).
# PostgreSQL looks them up after unaccent, so accented entries never match there; kept as is
# so that both engines drop the same words.
STOP_WORDS = {
    "fr": frozenset(
        [
            "au",
            "aux",
            "avec",
            "ce",
            "ces",
            "dans",
            "de",
            "des",
            "du",
            "elle",
            "en",
            "et",
            "eux",
            "il",
            "je",
            "la",
            "le",
            "leur",
            "lui",
            "ma",
            "mais",
            "me",
            "même",
            "mes",
            "moi",
            "mon",
            "ne",
            "nos",
            "notre",
            "nous",
            "on",
            "ou",
            "par",
            "pas",
            "pour",
            "qu",
            "que",
            "qui",
            "sa",
            "se",
            "ses",
            "son",
            "sur",
            "ta",
            "te",
            "tes",
            "toi",
            "ton",
            "tu",
            "un",
            "une",
            "vos",
            "votre",
            "vous",
            "c",
            "d",
            "j",
            "l",
            "à",
            "m",
            "n",
            "s",
            "t",
            "y",
            "été",
            "étée",
            "étées",
            "étés",
            "étant",
            "étante",
            "étants",
            "étantes",
            "suis",
            "es",
            "est",
            "sommes",
            "êtes",
            "sont",
            "serai",
            "seras",
            "sera",
            "serons",
            "serez",
            "seront",
            "serais",
            "serait",
            "serions",
            "seriez",
            "seraient",
            "étais",
            "était",
            "étions",
            "étiez",
            "étaient",
            "fus",
            "fut",
            "fûmes",
            "fûtes",
            "furent",
            "sois",
            "soit",
            "soyons",
            "soyez",
            "soient",
            "fusse",
            "fusses",
            "fût",
            "fussions",
            "fussiez",
            "fussent",
            "ayant",
            "ayante",
            "ayantes",
            "ayants",
            "eu",
            "eue",
            "eues",
            "eus",
            "ai",
            "as",
            "avons",
            "avez",
            "ont",
            "aurai",
            "auras",
            "aura",
            "aurons",
            "aurez",
            "auront",
            "aurais",
            "aurait",
            "aurions",
            "auriez",
            "auraient",
            "avais",
            "avait",
            "avions",
            "aviez",
            "avaient",
            "eut",
            "eûmes",
            "eûtes",
            "eurent",
            "aie",
            "aies",
            "ait",
            "ayons",
            "ayez",
            "aient",
            "eusse",
            "eusses",
            "eût",
            "eussions",
            "eussiez",
            "eussent",
        ]
    ),
    "en": frozenset(
        [
            "i",
            "me",
            "my",
            "myself",
            "we",
            "our",
            "ours",
            "ourselves",
            "you",
            "your",
            "yours",
            "yourself",
            "yourselves",
            "he",
            "him",
            "his",
            "himself",
            "she",
            "her",
            "hers",
            "herself",
            "it",
            "its",
            "itself",
            "they",
            "them",
            "their",
            "theirs",
            "themselves",
            "what",
            "which",
            "who",
            "whom",
            "this",
            "that",
            "these",
            "those",
            "am",
            "is",
            "are",
            "was",
            "were",
            "be",
            "been",
            "being",
            "have",
            "has",
            "had",
            "having",
            "do",
            "does",
            "did",
            "doing",
            "a",
            "an",
            "the",
            "and",
            "but",
            "if",
            "or",
            "because",
            "as",
            "until",
            "while",
            "of",
            "at",
            "by",
            "for",
            "with",
            "about",
            "against",
            "between",
            "into",
            "through",
            "during",
            "before",
            "after",
            "above",
            "below",
            "to",
            "from",
            "up",
            "down",
            "in",
            "out",
            "on",
            "off",
            "over",
            "under",
            "again",
            "further",
            "then",
            "once",
            "here",
            "there",
            "when",
            "where",
            "why",
            "how",
            "all",
            "any",
            "both",
            "each",
            "few",
            "more",
            "most",
            "other",
            "some",
            "such",
            "no",
            "nor",
            "not",
            "only",
            "own",
            "same",
            "so",
            "than",
            "too",
            "very",
            "s",
            "t",
            "can",
            "will",
            "just",
            "don",
            "should",
            "now",
        ]
    ),
    "simple": frozenset(),
}

# A word as PostgreSQL's default parser sees one: letters and digits; apostrophes, hyphens and
# everything else separate words.
WORD = re.compile(r"[^\W_]+")
_HAS_DIGIT = re.compile(r"\d")


def analyser_for(language: str | None) -> str:
    """The analyser of a language code: "fr-CA" → "fr"; one we cannot stem → "simple"."""
    base = (language or "").split("-")[0].lower()
    return base if base in _SNOWBALL else "simple"


class _Stemmer(Protocol):  # what snowballstemmer (untyped) gives, as used here
    def stemWord(self, word: str) -> str: ...


@cache
def _stemmer(analyser: str) -> _Stemmer:
    return snowballstemmer.stemmer(_SNOWBALL[analyser])


def normalise(word: str) -> str:
    return fold_accents(word).lower()


def is_stop(word: str, analyser: str) -> bool:
    return normalise(word) in STOP_WORDS[analyser]


@lru_cache(maxsize=65536)
def term(word: str, analyser: str) -> str | None:
    """The indexed form of one word, or None for a stop-word."""
    folded = normalise(word)
    if folded in STOP_WORDS[analyser]:
        return None
    # PostgreSQL keeps words with digits (COP21, 2015) as they are: no stemming.
    if analyser == "simple" or _HAS_DIGIT.search(folded):
        return folded
    return _stemmer(analyser).stemWord(folded)


def words(text: str) -> Iterator[re.Match[str]]:
    return WORD.finditer(text)


_CACHE_LIMIT = 500_000
_caches: dict[str, dict[str, str]] = {a: {} for a in ANALYSERS}


def analyse(text: str, analyser: str) -> list[str]:
    """The indexed terms of a text, in order, stop-words left out."""
    # A plain dict in front of `term`: indexing a million articles calls this for every word.
    cache = _caches[analyser]
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    out = []
    for word in WORD.findall(text):
        found = cache.get(word)
        if found is None:
            found = cache[word] = term(word, analyser) or ""
        if found:
            out.append(found)
    return out
