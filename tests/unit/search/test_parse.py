"""The search query language (app/search/parse.py): words, "phrases", -exclusions, OR binding
tighter than AND, meaningless queries refused with a 400 naming `q`, and plans per language."""

import pytest

from app.http.problems import InvalidParameter
from app.search.analysis import analyse
from app.search.parse import MAX_TERMS, Term, check_meaningful, parse, plan


def _shape(q: str) -> tuple[list[list[str]], list[str]]:
    """The clauses and exclusions of a query, as text (a phrase in quotes)."""
    query = parse(q)

    def show(t: Term) -> str:
        return f'"{t.text}"' if t.quoted else t.text

    return [[show(t) for t in clause] for clause in query.clauses], [show(t) for t in query.excluded]


@pytest.mark.parametrize(
    ("q", "clauses", "excluded"),
    [
        ("syrie", [["syrie"]], []),
        ("syrie frappes", [["syrie"], ["frappes"]], []),
        ("syrie OR irak frappes", [["syrie", "irak"], ["frappes"]], []),
        ("frappes syrie OR irak", [["frappes"], ["syrie", "irak"]], []),
        ("syrie | irak", [["syrie", "irak"]], []),
        ("syrie OR irak OR liban", [["syrie", "irak", "liban"]], []),
        ("syrie or irak", [["syrie"], ["or"], ["irak"]], []),  # only OR in capitals is the operator
        ("OR syrie", [["syrie"]], []),  # nothing before it to join
        ("syrie OR", [["syrie"]], []),
        ("syrie OR -irak liban", [["syrie"], ["liban"]], ["irak"]),  # an exclusion takes no OR
        ('"frappes aériennes" syrie', [['"frappes aériennes"'], ["syrie"]], []),
        ('"frappes aériennes" OR bombardements', [['"frappes aériennes"', "bombardements"]], []),
        ('"  frappes aériennes  "', [['"frappes aériennes"']], []),
        ('syrie "frappes aériennes', [["syrie"], ['"frappes aériennes"']], []),  # left open: closed at the end
        ("syrie -russie", [["syrie"]], ["russie"]),
        ('syrie -"armée russe"', [["syrie"]], ['"armée russe"']),
        ("porte-parole", [["porte-parole"]], []),  # a hyphen inside a word excludes nothing
        ("syrie -porte-parole", [["syrie"]], ["porte-parole"]),
        ("syrie - irak", [["syrie"], ["irak"]], []),  # a lone dash is punctuation
        ("syrie ... !!", [["syrie"]], []),
        ('syrie ""', [["syrie"]], []),
        ("syrie\x00irak\tliban\x7f", [["syrie"], ["irak"], ["liban"]], []),  # control characters separate
        ("  syrie   ", [["syrie"]], []),
    ],
)
def test_a_query_is_clauses_of_alternatives_and_exclusions(q, clauses, excluded):
    assert _shape(q) == (clauses, excluded)


@pytest.mark.parametrize("q", ["", "   ", '""', '" "', "...", "!? …", "OR", "| OR", "-", "\x00\x01"])
def test_a_query_with_nothing_to_look_for_is_a_400_naming_q(q):
    with pytest.raises(InvalidParameter) as caught:
        parse(q)

    assert caught.value.status == 400
    assert caught.value.errors == [{"field": "q", "message": "nothing to search for: give at least one word"}]


@pytest.mark.parametrize("q", ["-syrie", '-syrie -"armée russe"', "-syrie OR -irak"])
def test_a_query_of_exclusions_only_is_a_400_asking_for_a_word(q):
    with pytest.raises(InvalidParameter) as caught:
        parse(q)

    assert caught.value.errors == [{"field": "q", "message": "only excluded words: add a word to look for"}]


def test_a_query_may_have_up_to_max_terms_words_and_phrases():
    words = [f"mot{n}" for n in range(MAX_TERMS - 2)]

    query = parse(" ".join(words) + ' "une phrase" -exclu')

    assert sum(len(c) for c in query.clauses) + len(query.excluded) == MAX_TERMS


@pytest.mark.parametrize(
    "q",
    [
        " ".join(f"mot{n}" for n in range(MAX_TERMS + 1)),
        " OR ".join(f"mot{n}" for n in range(MAX_TERMS + 1)),
        "syrie " + " ".join(f"-mot{n}" for n in range(MAX_TERMS)),
    ],
)
def test_a_query_past_max_terms_is_a_400_saying_how_many(q):
    with pytest.raises(InvalidParameter) as caught:
        parse(q)

    message = caught.value.errors[0]["message"]
    assert caught.value.errors[0]["field"] == "q"
    assert f"({MAX_TERMS + 1})" in message and f"at most {MAX_TERMS}" in message


def test_a_phrase_counts_as_one_term_however_long():
    phrase = '"' + " ".join(f"mot{n}" for n in range(MAX_TERMS * 2)) + '"'

    assert len(parse(phrase).clauses) == 1


# check_meaningful -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "analysers"),
    [
        ("le la", ["fr"]),
        ("the of", ["en"]),
        ('"to be or not to be"', ["en"]),
        ("LE", ["fr"]),
        ("the", ["fr", "en"]),  # a stop-word of one of the languages searched
        ("le", ["fr", "en"]),
        ("le -syrie", ["fr"]),  # exclusions do not count
    ],
)
def test_a_query_of_stop_words_only_is_a_400(q, analysers):
    with pytest.raises(InvalidParameter) as caught:
        check_meaningful(parse(q), analysers)

    assert caught.value.errors[0]["field"] == "q"
    assert "stop-words" in caught.value.errors[0]["message"]


@pytest.mark.parametrize(
    ("q", "analysers"),
    [
        ("le président", ["fr"]),
        ("the", ["fr"]),  # a word in French
        ("le", ["en"]),
        ("le la", ["simple"]),  # no stop-words there
        ("the OR syrie", ["en"]),
        ('"the who"', ["fr"]),
    ],
)
def test_a_query_with_one_meaningful_word_passes(q, analysers):
    check_meaningful(parse(q), analysers)


# plan -------------------------------------------------------------------------------------


def test_a_plan_gives_each_term_the_indexed_terms_it_stands_for():
    found = plan(parse('"Frappes Aériennes" OR bombardements syrie'), "fr")

    assert found.analyser == "fr"
    [first, second] = found.clauses
    assert [(t.text, terms) for t, terms in first] == [
        ("Frappes Aériennes", (*analyse("frappes", "fr"), *analyse("aeriennes", "fr"))),
        ("bombardements", tuple(analyse("bombardement", "fr"))),
    ]
    assert [(t.text, terms) for t, terms in second] == [("syrie", tuple(analyse("SYRIE", "fr")))]


def test_a_clause_of_stop_words_says_nothing_in_that_language():
    query = parse("the élections")

    assert len(plan(query, "en").clauses) == 1
    assert len(plan(query, "fr").clauses) == 2  # "the" is a word in French


def test_an_alternative_of_stop_words_leaves_the_others():
    [clause] = plan(parse("the OR syrie"), "en").clauses

    assert [t.text for t, _ in clause] == ["syrie"]


def test_no_plan_when_nothing_can_match_in_that_language():
    query = parse("the")

    assert plan(query, "en") is None
    assert plan(query, "fr") is not None


def test_excluded_stop_words_are_left_out_of_the_plan():
    found = plan(parse('syrie -the -"of the" -russia'), "en")

    assert [t.text for t, _ in found.excluded] == ["russia"]


def test_positive_terms_are_what_a_highlight_marks_and_never_an_exclusion():
    found = plan(parse('syrie OR irak "frappes aériennes" -russie'), "fr")

    wanted = {*analyse("syrie irak frappes aériennes", "fr")}
    assert found.positive_terms() == wanted
    assert not set(analyse("russie", "fr")) & found.positive_terms()
