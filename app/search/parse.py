"""The search query language, shared by both engines: words, "phrases", -exclusions and OR.

Words next to each other must all match (AND); `OR` (or `|`) between two terms makes either
do, and binds tighter than AND, as on the big web search engines: `syrie OR irak frappes`
is (syrie OR irak) AND frappes. A quote left open is closed at the end of the query.
"""

import re
from dataclasses import dataclass, field

from app.http.problems import InvalidParameter
from app.search.analysis import STOP_WORDS, analyse, normalise, words

MAX_TERMS = 32
_TOKEN = re.compile(r'(-?)"([^"]*)(?:"|$)|(\S+)')
_OR = frozenset({"OR", "|"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # NUL and friends: PostgreSQL refuses them in text


@dataclass(frozen=True)
class Term:
    """One word or quoted phrase, as the user typed it; matched as a phrase of its words."""

    text: str
    quoted: bool = False


@dataclass
class Query:
    """The parsed query: clauses that must all match, each a list of alternatives; exclusions."""

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """The query analysed for one language: each term with the indexed terms it stands for."""

    analyser: str
    clauses: list[list[tuple[Term, tuple[str, ...]]]]
    excluded: list[tuple[Term, tuple[str, ...]]]

    def positive_terms(self) -> set[str]:
        """Every indexed term the user looks for (what a highlight marks)."""
        return {t for clause in self.clauses for _, terms in clause for t in terms}


def _tokens(q: str) -> list[tuple[str, Term | None]]:
    """("and" | "or" | "not", term) pairs, in order; an OR is ("or", None)."""
    out: list[tuple[str, Term | None]] = []
    for match in _TOKEN.finditer(q):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare in _OR:
                out.append(("or", None))
            elif bare.startswith("-") and len(bare) > 1:
                out.append(("not", Term(bare[1:])))
            else:
                out.append(("and", Term(bare)))
        elif phrase.strip():
            out.append(("not" if negated else "and", Term(phrase.strip(), quoted=True)))
    return out


def parse(q: str) -> Query:
    """`q` as clauses and exclusions; a 400 naming `q` when there is nothing to look for."""
    query = Query()
    pending_or = False
    for kind, term in _tokens(_CONTROL.sub(" ", q)):
        if term is None:  # an OR
            pending_or = bool(query.clauses)
            continue
        if not any(True for _ in words(term.text)):  # punctuation alone: nothing to match
            continue
        if kind == "not":
            query.excluded.append(term)
        elif pending_or:
            query.clauses[-1].append(term)
        else:
            query.clauses.append([term])
        pending_or = False
    count = sum(len(c) for c in query.clauses) + len(query.excluded)
    if count > MAX_TERMS:
        raise InvalidParameter("q", f"too many words and phrases ({count}); at most {MAX_TERMS}")
    if not query.clauses:
        if query.excluded:
            raise InvalidParameter("q", "only excluded words: add a word to look for")
        raise InvalidParameter("q", "nothing to search for: give at least one word")
    return query


def _is_all_stop(term: Term, analysers: list[str]) -> bool:
    stop = frozenset().union(*(STOP_WORDS[a] for a in analysers))
    return all(normalise(m.group()) in stop for m in words(term.text))


def check_meaningful(query: Query, analysers: list[str]) -> None:
    """400 when every word looked for is a stop-word of one of the languages searched."""
    if all(_is_all_stop(t, analysers) for clause in query.clauses for t in clause):
        raise InvalidParameter("q", "only stop-words (such as “le” or “the”): add a word that carries meaning")


def plan(query: Query, analyser: str) -> Plan | None:
    """The query for documents of one analyser; None when nothing in it can match there."""
    clauses = []
    for clause in query.clauses:
        alternatives = [(t, tuple(analyse(t.text, analyser))) for t in clause]
        alternatives = [(t, terms) for t, terms in alternatives if terms]
        # A clause made of stop-words only says nothing in this language: it is left out,
        # as PostgreSQL leaves out an empty tsquery in an AND.
        if alternatives:
            clauses.append(alternatives)
    if not clauses:
        return None
    excluded = [(t, tuple(analyse(t.text, analyser))) for t in query.excluded]
    return Plan(analyser=analyser, clauses=clauses, excluded=[(t, x) for t, x in excluded if x])
