"""Full-text search through /v1/articles?q= and /v1/quotes?q=, as a front end calls it."""

from app.articles import quotes, writes
from app.store.models.common import utcnow
from tests.support.factories import make_article, make_category, make_person, make_tag


def _slugs(client, **params) -> list[str]:
    response = client.get("/v1/articles", params={"fields": "slug", **params})
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["data"]]


def _paragraphs(*texts: str) -> list[dict]:
    return [{"type": "paragraph", "text": t} for t in texts]


def _change(session, article, **values) -> None:
    """Change an article as the write services do: the change, then after_write."""
    was_public = article.is_public
    for name, value in values.items():
        setattr(article, name, value)
    session.add(article)
    writes.after_write(session, article, was_public=was_public, event=None)
    session.commit()


def test_french_plural_finds_singular_and_back(client, session):
    make_article(session, slug="pourparlers", title="Une discussion militaire", language="fr")
    make_article(
        session,
        slug="pluriel",
        title="Les réunions se multiplient",
        language="fr",
        body=_paragraphs("Des discussions militaires ont repris."),
    )
    assert set(_slugs(client, q="discussions militaires")) == {"pourparlers", "pluriel"}
    assert set(_slugs(client, q="militaire")) == {"pourparlers", "pluriel"}


def test_accents_are_folded_both_ways(client, session):
    make_article(session, slug="choigou", title="Sergueï Choïgou à Damas", language="fr")
    make_article(session, slug="etat", title="Les Etats membres votent", language="fr")
    assert _slugs(client, q="Choigou") == ["choigou"]
    assert _slugs(client, q="choïgou") == ["choigou"]
    assert _slugs(client, q="États") == ["etat"]


def test_case_is_ignored(client, session):
    make_article(session, slug="nasa", title="La NASA prépare une mission lunaire", language="fr")
    assert _slugs(client, q="nasa MISSION") == ["nasa"]


def test_english_articles_are_stemmed_in_english(client, session):
    make_article(session, slug="talks", title="Military talks resume", language="en")
    assert _slugs(client, q="talk") == ["talks"]
    assert _slugs(client, q="talking") == ["talks"]


def test_each_article_is_analysed_in_its_own_language(client, session):
    make_article(session, slug="en-running", title="Running in the rain", language="en")
    make_article(session, slug="fr-running", title="Le running sous la pluie", language="fr")
    # English stems "running" to "run"; French keeps the borrowed word whole.
    assert _slugs(client, q="run") == ["en-running"]


def test_quoted_phrase_needs_its_words_together(client, session):
    make_article(session, slug="together", title="Le terrain d’entente est trouvé", language="fr")
    make_article(session, slug="apart", title="Un terrain vague, une entente cordiale", language="fr")
    assert _slugs(client, q='"terrain d\'entente"') == ["together"]
    assert set(_slugs(client, q="terrain entente")) == {"together", "apart"}


def test_unbalanced_quote_is_closed_at_the_end(client, session):
    make_article(session, slug="together", title="Le terrain d’entente est trouvé", language="fr")
    assert _slugs(client, q="\"terrain d'entente") == ["together"]


def test_excluded_word_removes_articles_that_contain_it(client, session):
    make_article(session, slug="syrie-russie", title="La Syrie et la Russie", language="fr")
    make_article(session, slug="syrie-seule", title="La Syrie en guerre", language="fr")
    assert _slugs(client, q="syrie -russie") == ["syrie-seule"]
    assert _slugs(client, q='syrie -"et la russie"') == ["syrie-seule"]


def test_or_finds_either_word(client, session):
    make_article(session, slug="irak", title="Frappes en Irak", language="fr")
    make_article(session, slug="syrie", title="Frappes en Syrie", language="fr")
    make_article(session, slug="libye", title="Frappes en Libye", language="fr")
    assert set(_slugs(client, q="frappes syrie OR irak")) == {"irak", "syrie"}


def test_relevance_is_the_default_and_title_outweighs_body(client, session):
    make_article(
        session, slug="in-title", title="Le budget de la défense", language="fr", published_at="2015-01-01T00:00:00Z"
    )
    make_article(
        session,
        slug="in-body",
        title="Une journée au Parlement",
        language="fr",
        published_at="2016-01-01T00:00:00Z",
        body=_paragraphs("On y a parlé du budget."),
    )
    assert _slugs(client, q="budget") == ["in-title", "in-body"]
    assert _slugs(client, q="budget", sort="-published_at") == ["in-body", "in-title"]


def test_standfirst_outweighs_body(client, session):
    make_article(
        session,
        slug="in-standfirst",
        title="Une annonce",
        standfirst="Le budget est voté.",
        published_at="2015-01-01T00:00:00Z",
    )
    make_article(
        session,
        slug="in-body",
        title="Une autre annonce",
        published_at="2016-01-01T00:00:00Z",
        body=_paragraphs("Le budget est voté."),
    )
    assert _slugs(client, q="budget") == ["in-standfirst", "in-body"]


def test_equal_relevance_is_broken_by_recency(client, session):
    for day in ("01", "03", "02"):
        make_article(
            session, slug=f"day-{day}", title="Le même titre sur la pêche", published_at=f"2015-01-{day}T00:00:00Z"
        )
    assert _slugs(client, q="pêche") == ["day-03", "day-02", "day-01"]


def test_relevance_pages_follow_the_cursor_without_repeats(client, session):
    for n in range(7):
        make_article(
            session,
            slug=f"a{n}",
            title="La pêche " + "et la pêche " * (n % 3),
            published_at=f"2015-01-0{n + 1}T00:00:00Z",
        )
    whole = _slugs(client, q="pêche", limit=10)
    pages, cursor = [], None
    while True:
        params = {"q": "pêche", "limit": 3, "fields": "slug", **({"cursor": cursor} if cursor else {})}
        body = client.get("/v1/articles", params=params).json()
        pages += [item["slug"] for item in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if not cursor:
            break
    assert pages == whole and len(whole) == 7


def test_search_combines_with_filters(client, session):
    monde = make_category(session, "monde")
    tag = make_tag(session, "peche")
    make_article(session, slug="match", title="La pêche en mer", category="monde", tags=["peche"], language="fr")
    make_article(session, slug="other-category", title="La pêche en rivière", language="fr")
    make_article(session, slug="other-language", title="Fishing: la pêche", language="en", category="monde")
    assert monde and tag
    assert _slugs(client, q="pêche", category="monde", lang="fr") == ["match"]
    assert _slugs(client, q="pêche", tag="peche") == ["match"]


def test_count_gives_the_number_of_matches(client, session):
    for n in range(3):
        make_article(session, title=f"Pêche numéro {n}")
    make_article(session, title="Autre chose")
    body = client.get("/v1/articles", params={"q": "pêche", "count": "true", "limit": 1}).json()
    assert body["meta"]["total"] == 3 and body["meta"]["has_more"] is True


def test_highlight_marks_the_matched_words(client, session):
    make_article(
        session,
        title="Un accord",
        language="fr",
        body=_paragraphs("Les discussions militaires ont repris vendredi à Genève."),
    )
    item = client.get("/v1/articles", params={"q": "discussion militaire", "highlight": "true"}).json()["data"][0]
    assert "<mark>discussions</mark> <mark>militaires</mark>" in item["highlight"]


def test_highlight_escapes_the_article_text(client, session):
    make_article(session, title="Balises", body=_paragraphs("Le code <script>alert(1)</script> de la pêche."))
    item = client.get("/v1/articles", params={"q": "pêche", "highlight": "true"}).json()["data"][0]
    assert "<script>" not in item["highlight"] and "&lt;script&gt;" in item["highlight"]


def test_no_highlight_unless_asked(client, session):
    make_article(session, title="La pêche")
    assert "highlight" not in client.get("/v1/articles", params={"q": "pêche"}).json()["data"][0]


def test_drafts_are_never_found(client, session):
    make_article(session, title="Le brouillon secret", status="draft")
    assert _slugs(client, q="brouillon") == []


def test_unpublished_and_deleted_articles_leave_the_results(client, session):
    gone = make_article(session, slug="unpublished", title="La pêche interdite")
    deleted = make_article(session, slug="deleted", title="La pêche supprimée")
    make_article(session, slug="kept", title="La pêche autorisée")
    _change(session, gone, status="unpublished")
    _change(session, deleted, deleted_at=utcnow())
    assert _slugs(client, q="pêche") == ["kept"]


def test_index_follows_an_edit_in_the_same_transaction(client, session):
    article = make_article(session, slug="edited", title="La pêche au thon")
    _change(session, article, title="La chasse au sanglier")
    assert _slugs(client, q="thon") == []
    assert _slugs(client, q="sanglier") == ["edited"]


def test_quotes_are_found_in_their_own_language(client, session):
    make_person(session, "kerry")
    make_article(
        session,
        title="Un article",
        language="fr",
        quotes=[
            {"text": "Nous cherchons une voie diplomatique.", "speaker": "kerry"},
            {"text": "We keep talking to Moscow.", "speaker": "kerry", "language": "en"},
        ],
    )
    french = client.get("/v1/quotes", params={"q": "diplomatiques voies"}).json()["data"]
    english = client.get("/v1/quotes", params={"q": "talks"}).json()["data"]
    assert [q["text"] for q in french] == ["Nous cherchons une voie diplomatique."]
    assert [q["text"] for q in english] == ["We keep talking to Moscow."]


def test_quotes_of_drafts_are_never_found(client, session):
    make_person(session, "kerry")
    make_article(
        session, title="Brouillon", status="draft", quotes=[{"text": "Une phrase confidentielle.", "speaker": "kerry"}]
    )
    assert client.get("/v1/quotes", params={"q": "confidentielle"}).json()["data"] == []


def test_replaced_quotes_leave_the_quote_index(client, session):
    make_person(session, "kerry")
    article = make_article(session, title="Citations", quotes=[{"text": "La première phrase.", "speaker": "kerry"}])
    from app.articles.schemas import QuoteIn

    quotes.set_quotes(session, article, [QuoteIn(text="Une seconde phrase.", speaker="kerry")])
    session.commit()
    assert client.get("/v1/quotes", params={"q": "première"}).json()["data"] == []
    assert len(client.get("/v1/quotes", params={"q": "seconde"}).json()["data"]) == 1


def test_relevance_ranks_only_the_most_recent_matches_when_there_are_very_many(client, session, monkeypatch):
    from app.search import kinds

    monkeypatch.setattr(kinds, "RANKED_LIMIT", 2)  # the server runs in this process
    make_article(session, slug="old-best", title="La pêche, la pêche, la pêche", published_at="2015-01-01T00:00:00Z")
    make_article(session, slug="recent", title="Un mot sur la pêche", published_at="2015-02-01T00:00:00Z")
    make_article(session, slug="newest", title="Un autre mot sur la pêche", published_at="2015-03-01T00:00:00Z")
    body = client.get("/v1/articles", params={"q": "pêche", "fields": "slug", "count": "true"}).json()
    assert {item["slug"] for item in body["data"]} == {"recent", "newest"}
    assert body["meta"]["total"] == 3
    assert _slugs(client, q="pêche", sort="-published_at") == ["newest", "recent", "old-best"]


def test_filters_apply_before_the_ranking_limit(client, session, monkeypatch):
    from app.search import kinds as search_kinds

    monkeypatch.setattr(search_kinds, "RANKED_LIMIT", 1)
    make_category(session, "archives")
    make_article(
        session, slug="filed", title="La pêche d'antan", category="archives", published_at="2015-01-01T00:00:00Z"
    )
    make_article(session, slug="newer", title="La pêche moderne", published_at="2015-02-01T00:00:00Z")
    assert _slugs(client, q="pêche", category="archives") == ["filed"]


def test_the_ranking_bound_holds_for_each_language_on_its_own(client, session, monkeypatch):
    from app.search import kinds

    monkeypatch.setattr(kinds, "RANKED_LIMIT", 1)
    make_article(session, slug="fr-old", title="Dakar, Dakar", language="fr", published_at="2015-01-01T00:00:00Z")
    make_article(session, slug="en", title="A word on Dakar", language="en", published_at="2015-02-01T00:00:00Z")
    make_article(session, slug="fr-new", title="Un mot sur Dakar", language="fr", published_at="2015-03-01T00:00:00Z")
    body = client.get("/v1/articles", params={"q": "Dakar", "fields": "slug", "count": "true"}).json()
    # The newest French match and the (older) English one: each language keeps its most recent.
    assert {item["slug"] for item in body["data"]} == {"fr-new", "en"}
    assert body["meta"]["total"] == 3
    assert _slugs(client, q="Dakar", sort="-published_at") == ["fr-new", "en", "fr-old"]


def test_pages_by_relevance_end_at_the_ranking_bound(client, session, monkeypatch):
    from app.search import kinds

    monkeypatch.setattr(kinds, "RANKED_LIMIT", 2)
    for n in range(1, 5):
        make_article(session, slug=f"peche-{n}", title=f"La pêche, épisode {n}", published_at=f"2015-0{n}-01T00:00:00Z")
    seen, cursor = [], None
    while True:
        params = {"q": "pêche", "fields": "slug", "limit": 1, **({"cursor": cursor} if cursor else {})}
        body = client.get("/v1/articles", params=params).json()
        seen += [item["slug"] for item in body["data"]]
        if not (cursor := body["meta"].get("next_cursor")):
            break
    # The two most recent, once each; the older two are past the bound, found by a time sort.
    assert sorted(seen) == ["peche-3", "peche-4"]
    assert len(_slugs(client, q="pêche", sort="-published_at")) == 4


def test_the_most_recent_matches_are_found_past_newer_articles_that_do_not_match(client, session, monkeypatch):
    from app.search import kinds, postgres

    # PostgreSQL walks the language's newest rows when a sample says the words are common,
    # reading at most WALK_ROWS x the bound; here every walk is tried, and reads 2 rows only,
    # which hold no match: the search falls back and still finds the most recent matches.
    monkeypatch.setattr(kinds, "RANKED_LIMIT", 2)
    monkeypatch.setattr(postgres, "WALK_SHARE", 0.0)
    monkeypatch.setattr(postgres, "WALK_ROWS", 1)
    monkeypatch.setattr(postgres, "_samples", {})
    for n in range(1, 4):
        make_article(session, slug=f"peche-{n}", title=f"La pêche, épisode {n}", published_at=f"2015-0{n}-01T00:00:00Z")
    for n in range(4, 7):
        make_article(session, slug=f"autre-{n}", title=f"Autre, épisode {n}", published_at=f"2015-0{n}-01T00:00:00Z")
    assert set(_slugs(client, q="pêche")) == {"peche-2", "peche-3"}
    assert set(_slugs(client, q="pêche épisode")) == {"peche-2", "peche-3"}


def test_the_index_keeps_its_documents_through_its_migration_down_and_up(client, session, database_url):
    import sqlalchemy as sa

    from app.store import migrate

    make_article(session, slug="fr", title="La pêche en hiver", language="fr")
    make_article(session, slug="en", title="Winter fishing", language="en")
    session.commit()
    sqlite = database_url.startswith("sqlite")
    migrate.downgrade("b8f2d4a6c1e3", database_url)  # SQLite: every language's rowids from 1
    try:
        if sqlite:
            with sa.create_engine(database_url).connect() as connection:
                ids = "SELECT rowid FROM article_search_fts WHERE article_search_fts MATCH ? ORDER BY rowid"
                assert [i for (i,) in connection.exec_driver_sql(ids, ("pech OR fish",))] == [1, 2]
    finally:
        migrate.upgrade("heads", database_url)  # the next tests share this database
    make_article(session, slug="en-2", title="Summer fishing", language="en")
    assert _slugs(client, q="pêche") == ["fr"]
    assert set(_slugs(client, q="fishing")) == {"en", "en-2"}
    assert _slugs(client, q="fishing", lang="fr") == []
    assert _slugs(client, q="winter", sort="-published_at") == ["en"]


def test_a_patch_reindexes_what_it_changed_and_keeps_what_it_did_not(client, session):
    from tests.support.editorial import create, desk, patch

    headers = desk(session)
    article = create(
        client,
        headers,
        title="Les vendanges en Bourgogne",
        kicker="Récolte",
        language="fr",
        body=_paragraphs("Les vignerons parlent de grêle."),
        status="published",
    )
    steps = [
        ({"kicker": "Moisson"}, {"moisson": True, "recolte": False, "vendanges": True, "grele": True}),
        ({"title": "Les cueillettes en Bourgogne"}, {"cueillettes": True, "vendanges": False, "moisson": True}),
        ({"body": _paragraphs("Les vignerons parlent de gel.")}, {"gel": True, "grele": False, "cueillettes": True}),
        # Another language is another analyser: every text is analysed again, none is kept.
        ({"language": "en"}, {"vignerons": True, "cueillettes": True, "moisson": True}),
    ]
    for changes, found in steps:
        response = patch(client, headers, article, changes)
        assert response.status_code == 200, response.text
        article = response.json()
        for word, expected in found.items():
            assert (_slugs(client, q=word) == [article["slug"]]) is expected, (changes, word)


def test_a_name_is_found_in_every_language_whichever_languages_the_index_holds(client, session):
    # A name is the same term in every language's analysis. On SQLite the search skips the
    # languages the index holds nothing of (app.search.sqlite._indexed): the page is the
    # same once the index holds one more language, and that language's articles are found.
    for n, (slug, language, title, text) in enumerate(
        [
            ("fr-titre", "fr", "Sommet à Dakar", "Les chefs d'État se retrouvent."),
            ("fr-corps", "fr", "Un sommet africain", "La réunion se tient à Dakar, au Sénégal."),
            ("en-title", "en", "Summit in Dakar", "Leaders meet on Monday."),
            ("en-body", "en", "An African summit", "The meeting takes place in Dakar, Senegal."),
        ]
    ):
        make_article(
            session,
            slug=slug,
            language=language,
            title=title,
            body=_paragraphs(text),
            published_at=f"2016-01-0{n + 1}T08:00:00Z",
        )

    def page() -> list[tuple[str, str]]:
        response = client.get("/v1/articles", params={"q": "Dakar", "highlight": "true", "fields": "slug"})
        assert response.status_code == 200, response.text
        return [(item["slug"], item["highlight"]) for item in response.json()["data"]]

    before = page()
    assert {slug for slug, _ in before} == {"fr-titre", "fr-corps", "en-title", "en-body"}
    assert {slug for slug, _ in before[:2]} == {"fr-titre", "en-title"}  # the title outweighs the body
    make_article(session, slug="de-ohne", language="de", title="Gipfel in Berlin", body=_paragraphs("Ohne Namen."))
    assert page() == before
    make_article(session, slug="de-gipfel", language="de", title="Gipfel", body=_paragraphs("Das Treffen in Dakar."))
    after = page()
    assert [slug for slug, _ in after if slug != "de-gipfel"] == [slug for slug, _ in before]
    assert "de-gipfel" in {slug for slug, _ in after}


def _pages(client, **params) -> list[str]:
    """Every page of a listing, following `next_cursor`: the slugs in order."""
    seen, cursor = [], None
    while True:
        body = client.get("/v1/articles", params={"fields": "slug", **params, **({"cursor": cursor} if cursor else {})})
        assert body.status_code == 200, body.text
        seen += [item["slug"] for item in body.json()["data"]]
        if not (cursor := body.json()["meta"].get("next_cursor")):
            return seen


def test_a_common_word_by_date_pages_through_every_match_in_order(client, session):
    # Most articles hold the word: SQLite walks the language's entries by date and keeps those
    # that match (app/search/sqlite.py `_walks`), PostgreSQL its own index; either way every
    # match, in date order, once, and none of the others, whatever the language's order of writing.
    days = [7, 2, 11, 5, 1, 9, 3, 12, 6, 10, 4, 8]
    for n, day in enumerate(days):
        text = "Le budget de la ville" if n % 4 else "La pêche en mer"
        published_at = f"2015-01-{day:02}T00:00:00Z"
        make_article(session, slug=f"day-{day:02}", title=text, language="fr", published_at=published_at)
    make_article(session, slug="english", title="The budget", language="en", published_at="2015-01-13T00:00:00Z")
    matching = sorted(f"day-{day:02}" for n, day in enumerate(days) if n % 4)

    assert _pages(client, q="budget", sort="-published_at", limit=2) == ["english", *reversed(matching)]
    assert _pages(client, q="budget", sort="published_at", limit=2) == [*matching, "english"]
    assert _pages(client, q="budget", sort="-published_at", lang="fr", limit=3) == list(reversed(matching))
