"""The reference front end (examples/frontend) in a real browser, over a real Gazette.

`gazette serve --demo` on a database of its own, the front end as a process of its own reading
it over HTTP, and Debian's Chromium driven by Playwright: each part of the seed page is checked
on the rendered page against what the API serves. The browser reaches nothing but the two
loopback servers: the demo's pictures (on a domain that does not exist) are answered with a
grey placeholder.

With GAZETTE_FRONTEND_SCREENSHOT set to a file name, the article page is saved there
(docs/images/frontend-article.png, as examples/frontend/README.md says).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import _create_database
from tests.support.processes import ROOT, free_port, gazette, gazette_serve, stop

pytestmark = pytest.mark.slow

SLUG = "moscou-et-washington-ouvrent-des-discussions-militaires-sur-la-syrie"
PAGE_SIZE = 5  # "International" holds 8 demo articles: two pages
PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675" viewBox="0 0 1200 675">'
    '<rect width="1200" height="675" fill="#9aa3ab"/></svg>'
)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
    return found


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[str]:
    url, drop = _create_database(tmp_path_factory.mktemp("frontend"))
    try:
        yield url
    finally:
        drop()


@pytest.fixture(scope="module")
def api(database) -> Iterator[str]:
    # The defaults users get, rate limits on (the suite turns them off for its own servers).
    with gazette_serve(database, "--demo", start_within=180, GAZETTE_RATE_LIMIT_ENABLED="true") as (base, _):
        yield base


@contextmanager
def frontend(api: str, log: Path) -> Iterator[str]:
    """The front end, `gazette-frontend` as its README runs it, reading `api`: its base URL."""
    port = free_port()
    env = {**os.environ, "GAZETTE_FRONTEND_API_URL": api, "GAZETTE_FRONTEND_PAGE_SIZE": str(PAGE_SIZE)}
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gazette_frontend", "--port", str(port)],
            cwd=ROOT / "examples" / "frontend",
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the front end exited: {log.read_text()}"
            try:
                httpx.get(url, timeout=5)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the front end did not start"
                time.sleep(0.1)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def site(api, tmp_path_factory) -> Iterator[str]:
    with frontend(api, tmp_path_factory.mktemp("frontend-log") / "stderr.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="fr-FR")
    opened = context.new_page()

    def outside(route) -> None:  # the browser reaches only the two servers on loopback
        if re.search(r"\.(jpe?g|png|webp)$", route.request.url):
            route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER)
        else:
            route.abort()

    opened.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), outside)
    yield opened
    context.close()


def _texts(page, selector: str) -> list[str]:
    """The text of each element `selector` finds, as written (before any CSS text-transform)."""
    return [" ".join(text.split()) for text in page.locator(selector).all_text_contents()]


def test_the_menu_is_the_category_tree(page, site, api):
    tree = httpx.get(f"{api}/v1/categories", params={"tree": "true"}).json()["data"]
    page.goto(site)
    assert _texts(page, "nav.menu > ul > li > a") == [c["name"] for c in tree]
    international = next(c for c in tree if c["slug"] == "international")
    entry = page.locator("nav.menu > ul > li", has=page.locator("> a", has_text="International"))
    assert [t.strip() for t in entry.locator("ul a").all_text_contents()] == [
        c["name"] for c in international["children"]
    ]
    entry.hover()  # the submenu opens under its entry
    entry.get_by_role("link", name="Moyen-Orient").click()
    assert page.url == f"{site}/rubrique/moyen-orient"
    assert page.locator("h1").inner_text() == "Moyen-Orient"


def test_the_article_page_shows_every_part_of_the_seed_page(page, site, api):
    article = httpx.get(f"{api}/v1/articles/slug/{SLUG}").json()
    answer = page.goto(f"{site}/article/{SLUG}")
    assert answer.status == 200
    # The menu, the article and its JSON-LD: three requests to the API for the whole page.
    assert answer.headers["x-api-requests"] == "3"

    assert page.locator(".kicker").inner_text() == "Premier contact" == article["kicker"]
    assert page.locator("h1").inner_text() == article["title"]
    assert page.locator(".standfirst").inner_text() == article["standfirst"]
    assert _texts(page, ".crumbs a") == ["International"]

    image = page.locator("figure.lead img")
    assert image.get_attribute("src") == article["image"]["url"]
    assert image.get_attribute("alt") == article["image"]["alt"]
    # Its place is held before it loads: the size the API serves is on the element.
    assert (image.get_attribute("width"), image.get_attribute("height")) == ("1200", "675")
    assert (article["image"]["width"], article["image"]["height"]) == (1200, 675)
    assert image.evaluate("img => img.naturalWidth") > 0  # the picture loaded (the placeholder)
    assert "©Reuters" in page.locator("figure.lead figcaption").inner_text()

    quotes = page.locator("blockquote.quote")
    assert quotes.count() == 3
    kerry = quotes.filter(has=page.locator("cite", has_text="John Kerry"))
    assert kerry.locator(".role").inner_text() == "secrétaire d’État américain"
    assert "solution politique en Syrie" in kerry.locator("p").inner_text()
    assert _texts(page, "blockquote.quote cite") == ["Peter Cook", "John Kerry", "Maria Zakharova"]

    read_on = page.get_by_role("link", name="Lu sur Le Figaro")
    assert read_on.get_attribute("href").startswith("https://www.lefigaro.fr/international/2015/09/18/")

    # Comments are on for this article, but the demo's site-wide switch turns them off.
    notice = page.locator(".comments-closed")
    assert notice.get_attribute("data-scope") == "site"
    assert notice.inner_text().startswith("En raison de débordements répétés")
    assert notice.inner_text() == article["comments"]["reason"]

    jsonld = json.loads(page.locator('head script[type="application/ld+json"]').text_content())
    assert jsonld["@type"] == "NewsArticle"
    assert jsonld["headline"] == article["title"]

    if shot := os.environ.get("GAZETTE_FRONTEND_SCREENSHOT"):
        page.screenshot(path=str(Path(shot).resolve()), full_page=True)


# The page's cumulative layout shift, as Chromium reports it (the Web Vitals CLS, 0.1 being
# "good"), summed from the first paint on.
LAYOUT_SHIFT = """(() => {
  window.layoutShift = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
  }).observe({type: "layout-shift", buffered: true});
})();"""


def _layout_shift(page, url: str, *, without_size: bool) -> float:
    """The article page's layout shift when its picture arrives half a second after the text;
    `without_size`: with the <img>'s width and height taken out of the page first."""

    def late_picture(route) -> None:
        time.sleep(0.5)
        route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER)

    def served(route) -> None:
        answer = route.fetch()
        html = answer.text()
        if without_size:
            html = re.sub(r'\s(width|height)="\d+"', "", html)
        route.fulfill(response=answer, body=html)

    page.route(re.compile(r"\.jpg$"), late_picture)
    page.route(url, served)
    page.add_init_script(LAYOUT_SHIFT)
    page.goto(url)
    page.wait_for_function("document.querySelector('figure.lead img').complete")
    page.wait_for_timeout(300)
    return page.evaluate("window.layoutShift")


def test_the_pictures_size_holds_its_place_while_it_loads(browser, site):
    url = f"{site}/article/{SLUG}"
    shifts = {}
    for without_size in (False, True):
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        shifts[without_size] = _layout_shift(context.new_page(), url, without_size=without_size)
        context.close()

    assert shifts[False] == 0
    assert shifts[True] > 0.1  # what the page did before the API served width and height


def test_a_category_pages_by_cursor_forward_and_back(page, site, api):
    listed = httpx.get(f"{api}/v1/articles", params={"category": "international", "limit": 100}).json()["data"]
    titles = [a["title"] for a in listed]
    assert len(titles) > PAGE_SIZE

    page.goto(f"{site}/rubrique/international")
    first = _texts(page, "ol.articles h2")
    assert first == titles[:PAGE_SIZE]
    assert page.locator("a[rel=prev]").count() == 0

    page.locator("a[rel=next]").click()
    assert "cursor=" in page.url
    second = _texts(page, "ol.articles h2")
    assert second == titles[PAGE_SIZE : 2 * PAGE_SIZE]
    assert page.locator("a[rel=next]").count() == 0  # the last page

    page.locator("a[rel=prev]").click()
    assert _texts(page, "ol.articles h2") == first
    assert page.locator(".page-number").inner_text() == "Page 1"


def test_search_highlights_the_matched_words(page, site):
    page.goto(site)
    page.get_by_role("searchbox", name="Rechercher").fill("discussions militaires")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche\?q="))
    assert page.locator("ol.articles h2").first.inner_text().startswith("Moscou et Washington ouvrent")
    marked = {text.lower() for text in _texts(page, "ol.articles .highlight mark")}
    assert marked & {"discussions", "militaires"}


def test_a_search_the_api_refuses_says_why(page, site):
    answer = page.goto(f"{site}/recherche?q=le")  # only a stop-word: the API's 400 naming q
    assert answer.status == 400
    assert page.get_by_role("alert").inner_text()


def test_an_unknown_article_is_a_404_page(page, site):
    answer = page.goto(f"{site}/article/no-such-article")
    assert answer.status == 404
    assert page.locator("h1").inner_text() == "Page introuvable"


def test_an_old_slug_sends_the_reader_to_the_article_where_it_lives_now(page, site, api, database):
    made = gazette(database, "keys", "create", "--name", "desk", "--scopes", "content:read,content:write")
    key = made.strip().splitlines()[-1]
    old = "les-start-up-francaises-ont-leve-des-fonds-record-en-2015"
    article = httpx.get(f"{api}/v1/articles/slug/{old}").json()
    renamed = httpx.patch(
        f"{api}/v1/articles/{article['id']}",
        json={"slug": "start-up-francaises-levees-record-2015"},
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/merge-patch+json",
            "If-Match": f'"{article["version"]}"',
        },
    )
    assert renamed.status_code == 200, renamed.text

    page.goto(f"{site}/article/{old}")

    assert page.url == f"{site}/article/start-up-francaises-levees-record-2015"
    assert page.locator("h1").inner_text() == article["title"]


def test_an_api_that_does_not_answer_is_a_502_page(tmp_path):
    nobody = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on

    with frontend(nobody, tmp_path / "stderr.log") as url:
        answer = httpx.get(f"{url}/article/{SLUG}")

    assert answer.status_code == 502
    assert "Service indisponible" in answer.text
