"""Nothing leaks: drafts, scheduled, unpublished, deleted, expired and embargoed articles, their
quotes, their correction notices and live blog updates, and the people and sources a draft or
scheduled article (or an update of it) creates inline, are found through no public path (an expired
one whether or not the clock's job has recorded its expiry yet; expired and embargoed ones though
every cache was shown them while they were public), nor as a translation of the public article (each
hidden one is a member of its translation group, in a language of its own). After an embargo lifts
the article is public on these paths: tests/api/articles/test_embargo.py. One line per public path:
a path that lands later (or a filter) is added here and is enforced from the moment its route
exists."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.kit import jobs
from app.store import clock
from app.store.models.common import iso, utcnow
from tests.support.editorial import create, desk, patch, publish
from tests.support.factories import make_author, make_category, make_person, make_source, make_tag

KINDS = ("draft", "scheduled", "unpublished", "deleted", "expired", "expiring", "embargoed")
# Published until a time the clock then passes: `expired` before a round of the background
# jobs (which records it), `expiring` after it, with no round since.
EXPIRES_IN = {"expired": timedelta(minutes=1), "expiring": timedelta(minutes=3)}
# Each hidden article is a translation of the public one (English), in a language of its own.
LANGUAGES = dict(zip(KINDS, ("fr", "de", "es", "it", "pt", "nl", "pl"), strict=True))
PUBLIC_READS = ("/v1/articles", "/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json", "/v1/quotes")


@dataclass(frozen=True)
class Public:
    # may name {id}, {slug}, {old_slug}, {quote_id}, {correction_id}, {update_id}, {word} of the hidden article
    path: str
    tombstones: bool = False  # the change feed may name an id it once published, as a delete

    def __str__(self) -> str:
        return self.path


PATHS = [
    Public("/v1/articles"),
    Public("/v1/articles?count=true&include=body,quotes,attributions&limit=100"),
    Public("/v1/articles?fields=id,title,standfirst,quotes&include=quotes"),
    Public("/v1/articles?category=monde"),
    Public("/v1/articles?tag=secret-tag"),
    Public("/v1/articles?author=auteur-x"),
    Public("/v1/articles?source=le-figaro"),
    Public("/v1/articles?speaker=john-kerry"),
    Public("/v1/articles?lang=fr"),
    Public("/v1/articles?published_after=2000-01-01T00:00:00Z&published_before=2100-01-01T00:00:00Z"),
    Public("/v1/articles?updated_since=2000-01-01T00:00:00Z&sort=-updated_at"),
    Public("/v1/articles?sort=published_at"),
    Public("/v1/articles?q={word}"),
    Public("/v1/articles?q={word}&sort=-published_at&highlight=true"),
    Public("/v1/articles/{id}"),
    Public("/v1/articles/{id}?format=ninjs"),
    Public("/v1/articles/{id}?format=jsonld"),
    Public("/v1/articles/{id}?preview=not-a-token"),
    Public("/v1/articles/{id}/corrections"),
    Public("/v1/articles/{id}/corrections/{correction_id}"),
    Public("/v1/articles?include=corrections&limit=100"),
    Public("/v1/articles/slug/{slug}"),
    Public("/v1/articles/{id}?include=updates"),
    Public("/v1/articles/slug/{slug}?include=updates"),
    Public("/v1/articles/{id}/updates"),
    Public("/v1/articles/{id}/updates?since=2000-01-01T00:00:00Z&limit=100"),
    Public("/v1/articles/{id}/updates?key_event=true"),
    Public("/v1/articles/{id}/updates/{update_id}"),
    Public("/v1/articles/slug/{old_slug}"),
    Public("/v1/articles/{public_id}"),
    Public("/v1/articles/{public_id}?format=jsonld"),
    Public("/v1/articles/{public_id}?fields=id,translations,translation_of"),
    Public("/v1/articles/slug/{public_slug}"),
    Public("/v1/articles?lang={lang}&fallback=en"),
    Public("/v1/articles?lang=en&fallback={lang}"),
    Public("/v1/quotes?count=true&limit=100"),
    Public("/v1/quotes?speaker=john-kerry"),
    Public("/v1/quotes?article={id}"),
    Public("/v1/quotes?source=le-figaro"),
    Public("/v1/quotes?lang=fr"),
    Public("/v1/quotes?q={word}"),
    Public("/v1/quotes/{quote_id}"),
    Public("/v1/people?limit=100"),
    Public("/v1/people?count=true&q={word}"),
    Public("/v1/people/john-kerry"),
    Public("/v1/people/{person_slug}"),
    Public("/v1/sources?limit=100"),
    Public("/v1/sources?count=true&q={word}"),
    Public("/v1/sources/le-figaro"),
    Public("/v1/sources/{source_slug}"),
    Public("/v1/sources/{credit_slug}"),
    Public("/v1/categories"),
    Public("/v1/categories/monde"),
    Public("/v1/tags"),
    Public("/v1/authors"),
    Public("/feeds/rss.xml"),
    Public("/feeds/atom.xml"),
    Public("/feeds/feed.json"),
    Public("/feeds/rss.xml?category=monde"),
    Public("/v1/changes?limit=1000", tombstones=True),
    Public("/v1/changes?types=article,quote", tombstones=True),
    Public("/v1/changes?types=update", tombstones=True),
    Public("/v1/export"),
    Public("/v1/changes?types=person,source", tombstones=True),
    Public("/sitemaps/index.xml"),
    Public("/sitemaps/news.xml"),
    Public(f"/sitemaps/articles-{iso(utcnow())[:7]}.xml"),  # this month's, where the articles were published
]

# Made inline by an article that was never public: they must stay as hidden as it is. (Those
# of an article published once are public from then on, as anything it named.)
NEVER_PUBLIC = ("draft", "scheduled")


@pytest.fixture(scope="module")
def routes(database_url) -> list[re.Pattern]:
    """The paths the app serves, as patterns ({slug} matches one segment)."""
    from app.main import create_app

    return [re.compile(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(p)) + "$") for p in create_app().openapi()["paths"]]


def _served(routes: list[re.Pattern], path: str) -> bool:
    concrete = path.split("?", maxsplit=1)[0].replace("{", "").replace("}", "")
    return any(route.match(concrete) for route in routes)


def _shown(response, url: str) -> str:
    """What a response shows beyond the request: an error may echo the path it was asked."""
    text = response.text.lower()
    if response.status_code >= 400:
        for part in re.split(r"[/?&=,]", url.lower()):
            if len(part) > 3:
                text = text.replace(part, "")
    return text


def _hide(client, headers, kind: str, public: dict) -> dict:
    """An article of `kind` with a word of its own everywhere, quoted, filed, renamed once.
    Unpublished and deleted ones were public first, and read by the public then."""
    word = f"quokka{kind}"
    language = LANGUAGES[kind]
    inline = kind in NEVER_PUBLIC
    extra: dict = {}
    if inline:
        extra["image"] = {"url": "https://img.example.org/a.jpg", "credit_source": {"name": f"Agence {word}"}}
    article = create(
        client,
        headers,
        title=f"Titre {word}",
        standfirst=f"Chapeau {word}",
        category="monde",
        tags=["secret-tag"],
        authors=["auteur-x"],
        language=language,
        translation_of=public["id"],
        attributions=[
            {"source": "le-figaro", "role": "read_on", "label": f"Lu {word}"},
            *([{"source": {"name": f"Journal {word}"}, "role": "read_on"}] if inline else []),
        ],
        quotes=[
            {"text": f"Citation {word}", "speaker": "john-kerry", "source": "le-figaro"},
            *(
                [{"text": "Dit en ligne", "speaker": {"name": f"Orateur {word}"}, "source": {"name": f"Radio {word}"}}]
                if inline
                else []
            ),
        ],
        **extra,
        live={},
        body=[
            {"type": "paragraph", "text": f"Texte {word}"},
            {"type": "quote", "quote": 0},
            {"type": "html", "html": f"<p>{word}</p>"},
        ],
    )
    update = client.post(
        f"/v1/articles/{article['id']}/updates",
        json={
            "body": [{"type": "paragraph", "text": f"Direct {word}"}, {"type": "quote", "quote": 0}],
            "key_event": True,
            "external_id": f"direct-{word}",
            "attributions": [
                {"source": "le-figaro", "role": "read_on", "label": f"Lu en direct {word}"},
                *([{"source": {"name": f"Fil {word}"}, "role": "wire"}] if inline else []),
            ],
        },
        headers=headers,
    )
    assert update.status_code == 201, update.text
    update_id = update.json()["id"]
    old_slug = article["slug"]
    correction_id = f"none-{kind}"  # a notice needs an article that was published
    article = patch(client, headers, article, {"slug": f"renomme-{kind}"}).json()
    if kind == "scheduled":
        article = publish(client, headers, article["id"], at=iso(utcnow() + timedelta(days=1))).json()
    if kind in EXPIRES_IN:
        article = publish(client, headers, article["id"], expires_at=iso(utcnow() + EXPIRES_IN[kind])).json()
    if kind in ("unpublished", "deleted", "embargoed", *EXPIRES_IN):
        if kind in ("unpublished", "deleted", "embargoed"):
            article = publish(client, headers, article["id"]).json()
        notice = client.post(
            f"/v1/articles/{article['id']}/corrections",
            json={"kind": "correction", "text": f"Correction {word}"},
            headers={**headers, "If-Match": f'"{article["version"]}"'},
        )
        assert notice.status_code == 201, notice.text
        correction_id = notice.json()["id"]
        article = client.get(f"/v1/articles/{article['id']}", headers=headers).json()
        for path in (
            f"/v1/articles/{article['id']}/corrections",
            f"/v1/articles/{article['id']}/corrections/{correction_id}",
            "/v1/articles?include=corrections&limit=100",
            f"/v1/articles/{article['id']}",
            f"/v1/articles/slug/{article['slug']}",
            f"/v1/articles/{article['id']}?format=ninjs",
            f"/v1/articles/{article['id']}?format=jsonld",
            f"/v1/quotes/{article['quotes'][0]['id']}",
            f"/v1/articles/{article['id']}?include=updates",
            f"/v1/articles/{article['id']}/updates",
            f"/v1/articles/{article['id']}/updates/{update_id}",
            f"/v1/articles?q={word}",
            f"/v1/articles/{public['id']}",
            f"/v1/articles/slug/{public['slug']}",
            f"/v1/articles/{public['id']}?format=jsonld",
            f"/v1/articles?lang={language}&fallback=en",
            *PUBLIC_READS,
            "/sitemaps/news.xml",
            f"/sitemaps/articles-{iso(utcnow())[:7]}.xml",
        ):
            assert client.get(path).status_code == 200  # let any cache hold what was public
        if kind == "unpublished":
            article = client.post(f"/v1/articles/{article['id']}/unpublish", headers=headers).json()
        elif kind == "embargoed":  # public, then under an embargo that lifts tomorrow
            article = patch(client, headers, article, {"embargoed_until": iso(utcnow() + timedelta(days=1))}).json()
        elif kind == "deleted":
            client.delete(f"/v1/articles/{article['id']}", headers={**headers, "If-Match": f'"{article["version"]}"'})
    # A keyed reader sees it; nothing it was shown may be served to anyone else.
    for path in (f"/v1/articles/{article['id']}", f"/v1/articles/slug/{article['slug']}", "/v1/articles?status=all"):
        assert client.get(path, headers=headers).status_code == 200
    # The people and sources it made inline: a keyed reader sees them, by name and by slug.
    made = {
        kind: client.get(f"/v1/{kind}", params={"q": word}, headers=headers).json()["data"]
        for kind in ("people", "sources")
    }
    assert len(made["people"]) == (1 if inline else 0) and len(made["sources"]) == (4 if inline else 0)
    for kind, rows in made.items():
        for row in rows:
            assert client.get(f"/v1/{kind}/{row['slug']}", headers=headers).status_code == 200
    sources = {row["name"].split()[0]: row["slug"] for row in made["sources"]}
    return {
        "id": article["id"],
        "slug": article["slug"],
        "old_slug": old_slug,
        "quote_id": article["quotes"][0]["id"],
        "correction_id": correction_id,
        "update_id": update_id,
        "word": word,
        "person_slug": made["people"][0]["slug"] if inline else f"nobody-{kind}",
        "source_slug": sources.get("Journal", f"nothing-{kind}"),
        "credit_slug": sources.get("Agence", f"nothing-{kind}"),
        "made_ids": [row["id"] for rows in made.values() for row in rows],
        "public_id": public["id"],
        "public_slug": public["slug"],
        "lang": language,
    }


@pytest.fixture
def hidden(client, session) -> dict[str, dict]:
    make_category(session, "monde")
    make_tag(session, "secret-tag")
    make_author(session, "auteur-x")
    make_source(session, "le-figaro", name="Le Figaro")
    make_person(session, "john-kerry", name="John Kerry")
    headers = desk(session)
    public = create(
        client,
        headers,
        title="Un article public",
        status="published",
        category="monde",
        language="en",
        quotes=[{"text": "Une citation publique", "speaker": "john-kerry"}],
    )
    hidden = {kind: _hide(client, headers, kind, public) for kind in KINDS}
    # A keyed reader sees every one of them as its translations (the deleted one aside).
    keyed = client.get(f"/v1/articles/{public['id']}", headers=headers).json()
    assert {t["language"] for t in keyed["translations"]} == {LANGUAGES[k] for k in KINDS if k != "deleted"}
    clock.advance(timedelta(minutes=2))  # past the expiry of `expired`
    jobs.run_once()  # which the background jobs record
    clock.advance(timedelta(minutes=2))  # past the expiry of `expiring`, with no round since
    for kind in EXPIRES_IN:  # a keyed reader still sees them, expired
        keyed = client.get(f"/v1/articles/{hidden[kind]['id']}", headers=headers)
        assert keyed.status_code == 200 and keyed.json()["status"] == "expired"
    return hidden


@pytest.mark.parametrize("public", PATHS, ids=str)
def test_nothing_unpublished_is_found_through_a_public_path(client, hidden, routes, public):
    if not _served(routes, public.path):
        pytest.skip(f"{public.path} is not served yet")
    for kind, secret in hidden.items():
        url = public.path.format(**secret)
        response = client.get(url, follow_redirects=False)
        text = _shown(response, url)

        assert response.status_code < 500, (kind, response.text)
        if "{" in public.path.split("?")[0] and "{public_" not in public.path:  # the hidden thing itself
            assert response.status_code in (401, 404, 410), (
                f"the {kind} article answers {response.status_code} at {public.path}"
            )
        assert secret["word"] not in text, f"the {kind} article's word shows at {public.path}"
        assert not any(made in text for made in secret["made_ids"]), f"what the {kind} article made shows"
        if public.tombstones:
            # The feed records an expiry when the clock's job applies it (`expired`): until that
            # round, an `expiring` article's last change is still its upsert, and nothing more.
            shown = (secret["id"], secret["quote_id"], secret["update_id"])
            ops = [c["op"] for c in response.json()["data"] if c["id"] in shown]
            assert not ops or ops[-1] == "delete" or kind == "expiring", f"the {kind} article is upserted in the feed"
        else:
            assert all(secret[name] not in text for name in ("id", "quote_id", "update_id")), (
                f"the {kind} article shows at {public.path}"
            )
        if public.path.startswith("/sitemaps/"):  # sitemaps show articles by URL, so by slug
            assert f"/{secret['slug']}<" not in text, f"the {kind} article's URL shows at {public.path}"
        if "count=true" in public.path:
            assert response.json()["meta"]["total"] == (0 if "q={word}" in public.path else 1)


def test_the_public_article_is_found_where_the_hidden_ones_are_not(client, hidden):
    listed = client.get("/v1/articles", params={"category": "monde", "count": "true"}).json()

    assert listed["meta"]["total"] == 1 and listed["data"][0]["title"] == "Un article public"
    assert [q["text"] for q in client.get("/v1/quotes").json()["data"]] == ["Une citation publique"]


@pytest.fixture
def staged(client, session) -> dict:
    """A public article with changes staged on it (a pending version, scheduled for tomorrow)
    that carry a word of their own in the title, the body, a quote and a new slug."""
    make_category(session, "monde")
    make_person(session, "john-kerry", name="John Kerry")
    make_source(session, "le-figaro", name="Le Figaro")
    headers = desk(session)
    word = "quokkapending"
    article = create(
        client,
        headers,
        title="Un article en ligne",
        status="published",
        category="monde",
        quotes=[{"text": "Une citation publique", "speaker": "john-kerry"}],
    )
    public_notice = client.post(
        f"/v1/articles/{article['id']}/corrections",
        json={"kind": "clarification", "text": "Une précision publique."},
        headers={**headers, "If-Match": f'"{article["version"]}"'},
    )
    assert public_notice.status_code == 201, public_notice.text
    started = client.post(f"/v1/articles/{article['id']}/pending", headers=headers)
    quotes = [*started.json()["article"]["quotes"], {"text": f"Citation {word}", "speaker": "john-kerry"}]
    changed = client.patch(
        f"/v1/articles/{article['id']}/pending",
        json={
            "title": f"Titre {word}",
            "slug": f"nouveau-{word}",
            "standfirst": f"Chapeau {word}",
            "body": [{"type": "paragraph", "text": f"Texte {word}"}, {"type": "html", "html": f"<p>{word}</p>"}],
            "quotes": quotes,
        },
        headers={**headers, "Content-Type": "application/merge-patch+json", "If-Match": started.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    at = iso(utcnow() + timedelta(days=1))
    scheduled = client.post(
        f"/v1/articles/{article['id']}/pending/publish",
        json={"at": at, "correction": {"kind": "correction", "text": f"Rectificatif {word}"}},
        headers=headers,
    )
    assert scheduled.status_code == 202, scheduled.text
    jobs.run_once()  # not due: nothing is published
    return {
        "id": article["id"],
        "slug": f"nouveau-{word}",
        "old_slug": article["slug"],
        "quote_id": article["quotes"][0]["id"],
        "correction_id": public_notice.json()["id"],
        "update_id": "not-a-live-blog",
        "public_id": article["id"],  # the article is the public one: its live version shows
        "public_slug": article["slug"],
        "lang": article["language"],
        "word": word,
        "person_slug": "john-kerry",
        "source_slug": "le-figaro",
        "credit_slug": "le-figaro",
    }


@pytest.mark.parametrize("public", PATHS, ids=str)
def test_a_pending_version_is_found_through_no_public_path(client, staged, routes, public):
    if not _served(routes, public.path):
        pytest.skip(f"{public.path} is not served yet")
    url = public.path.format(**staged)
    response = client.get(url, follow_redirects=False)

    assert response.status_code < 500, response.text
    assert staged["word"] not in _shown(response, url), f"the pending version shows at {public.path}"
    if public.path == "/v1/articles/slug/{slug}":  # its new slug is not the live article's yet
        assert response.status_code == 404
