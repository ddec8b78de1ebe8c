"""Text analysis for search (app/search/analysis.py): words, accents folded, stop-words
dropped and stems, per language, as PostgreSQL's fr_unaccent / en_unaccent do."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.search.analysis import analyse, analyser_for, is_stop, normalise, term


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("fr-be", "fr"),
        ("FR", "fr"),
        ("en", "en"),
        ("en-gb", "en"),
        ("de", "simple"),
        ("es-MX", "simple"),
        ("", "simple"),
        (None, "simple"),
    ],
)
def test_a_language_gets_its_analyser(language, expected):
    assert analyser_for(language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Élysée", ["elysee"]),
        ("ÇA VA", ["ca", "va"]),
        ("Œuvre cœur", ["oeuvre", "coeur"]),
        ("Straße", ["strasse"]),
        ("Choïgou", ["choigou"]),
        ("São Paulo", ["sao", "paulo"]),
    ],
)
def test_simple_folds_accents_and_case_and_nothing_else(text, expected):
    assert analyse(text, "simple") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("porte-parole", ["porte", "parole"]),
        ("aujourd'hui", ["aujourd", "hui"]),
        ("snake_case", ["snake", "case"]),
        ("«Paris», Berlin; Rome…", ["paris", "berlin", "rome"]),
        ("COP21 2015", ["cop21", "2015"]),
        ("", []),
        ("!?…", []),
    ],
)
def test_words_are_letters_and_digits_anything_else_separates_them(text, expected):
    assert analyse(text, "simple") == expected


@pytest.mark.parametrize(
    ("forms", "analyser"),
    [
        (["élection", "élections", "ÉLECTIONS", "election"], "fr"),
        (["frappe", "frappes", "Frappé"], "fr"),
        (["run", "runs", "running"], "en"),
        (["connect", "connected", "connections", "connecting"], "en"),
    ],
)
def test_inflected_forms_share_one_stem(forms, analyser):
    stems = {tuple(analyse(form, analyser)) for form in forms}

    assert len(stems) == 1
    assert len(next(iter(stems))) == 1


@pytest.mark.parametrize(
    ("one", "other", "analyser"),
    [("élection", "éléphant", "fr"), ("connection", "collection", "en"), ("run", "rune", "en")],
)
def test_different_words_keep_different_stems(one, other, analyser):
    assert analyse(one, analyser) != analyse(other, analyser)


def test_stemming_depends_on_the_language():
    assert analyse("running", "en") != analyse("running", "simple") == ["running"]


@pytest.mark.parametrize(
    ("word", "analyser", "kept"),
    [
        ("COP21", "fr", "cop21"),
        ("2015", "en", "2015"),
        ("MP3s", "fr", "mp3s"),
        ("2èmes", "fr", "2emes"),
        ("1ers", "fr", "1ers"),
    ],
)
def test_words_with_digits_are_kept_whole(word, analyser, kept):
    # The French stemmer would make "mp3" of "mp3s" and "2em" of "2emes": PostgreSQL does not stem them.
    assert analyse(word, analyser) == [kept]


@pytest.mark.parametrize(
    ("text", "analyser", "kept"),
    [
        ("le président de la République", "fr", 2),
        ("l'État", "fr", 1),
        ("the state of the union", "en", 2),
        ("le", "en", 1),  # a French stop-word is a word in English
        ("the", "fr", 1),
        ("le the de of", "simple", 4),
    ],
)
def test_stop_words_of_the_language_are_left_out(text, analyser, kept):
    assert len(analyse(text, analyser)) == kept


def test_stop_words_are_found_whatever_their_case():
    assert analyse("LE Président", "fr") == analyse("président", "fr")
    assert is_stop("The", "en") and is_stop("THE", "en")
    assert term("Le", "fr") is None


def test_accented_stop_words_count_as_postgresql_counts_them():
    # PostgreSQL unaccents before it looks a word up: "même" becomes "meme", not in the list.
    assert analyse("même", "fr") != []
    assert not is_stop("même", "fr")
    assert is_stop("Même", "fr") == is_stop("meme", "fr")


def test_each_analyser_keeps_its_own_answers():
    # One word, three analysers, asked in turn: none answers for another.
    assert analyse("le", "fr") == []
    assert analyse("le", "en") == ["le"]
    assert analyse("the", "en") == []
    assert analyse("the", "fr") == ["the"]
    assert analyse("running", "simple") == ["running"]
    assert analyse("running", "en") == ["run"]


def test_analysis_keeps_the_order_of_the_words():
    assert analyse("Rome Paris Berlin Paris", "simple") == ["rome", "paris", "berlin", "paris"]


def test_letters_postgresql_unaccents_are_folded_as_it_folds_them():
    # contrib/unaccent/unaccent.rules: Ł→L, ł→l, Ø→O, ø→o, Đ→D, đ→d, ı→i, Þ→TH, þ→th.
    typed = {"Wałęsa": "Walesa", "Øresund": "Oresund", "Đoković": "Dokovic", "Diyarbakır": "Diyarbakir"}

    assert {w: analyse(w, "simple") for w in typed} == {w: analyse(t, "simple") for w, t in typed.items()}


# Latin-1 letters: NFKD folds them as unaccent does (beyond, see the test above); no fractions
# ("¼" is a word whose NFKD form "1⁄4" is not).
LATIN = st.text(alphabet=st.characters(max_codepoint=0xFF, exclude_categories=("Cs", "No")), max_size=60)


@settings(max_examples=50, deadline=None)
@given(LATIN, st.sampled_from(["fr", "en", "simple"]))
def test_case_and_accents_never_change_what_a_text_stands_for(text, analyser):
    assert analyse(text.upper(), analyser) == analyse(text, analyser) == analyse(normalise(text), analyser)


@settings(max_examples=50, deadline=None)
@given(LATIN)
def test_simple_terms_are_folded_words_that_analyse_to_themselves(text):
    terms = analyse(text, "simple")

    assert all(t == t.lower() and t.isalnum() for t in terms)
    assert analyse(" ".join(terms), "simple") == terms
