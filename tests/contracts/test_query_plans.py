"""No list scans a content table: every list query the API builds has its plan asked of the
engine, and none reads the whole of article, quote, a link table or change where an index can
serve.

The SQL is the SQL the API runs: a `before_cursor_execute` listener records the statements of
each list request, made over HTTP to the test server (every filter and sort of /v1/articles,
/v1/quotes, the catalogue lists, /v1/changes with types, each with its next page). Their plans
are then asked (`EXPLAIN QUERY PLAN`, `EXPLAIN`) of another database of the same schema that
bench/generate.py filled with an archive and analysed, so the planner has rows and statistics
to weigh. On PostgreSQL sequential scans are disabled for the EXPLAIN (`enable_seqscan = off`):
the planner then chooses one only where no index can serve at all, so a small archive is
enough. On SQLite a page that is sorted after reading every match (`USE TEMP B-TREE FOR
ORDER BY` at its top) fails too: its planner does not weigh the values asked, so such a plan
reads every match at any size. `count=true` is left out: a count reads every match by nature.
"""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.articles.queries import WALKED
from tests.conftest import IS_POSTGRES, _create_database
from tests.support.factories import (
    make_article,
    make_author,
    make_category,
    make_person,
    make_source,
    make_tag,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONTENT = frozenset({"article", "quote", "article_category", "article_tag", "article_author", "attribution", "change"})
ARTICLES = 1_000

ARTICLE_LISTS = [
    "/v1/articles",
    "/v1/articles?category=international",
    "/v1/articles?category=moyen-orient",
    "/v1/articles?category=moyen-orient&sort=published_at",
    "/v1/articles?category=moyen-orient&sort=-updated_at",
    "/v1/articles?category=moyen-orient&fields=id,title",
    "/v1/articles?tag=syrie",
    "/v1/articles?author=marie-dupont",
    "/v1/articles?tag=syrie&sort=published_at",
    "/v1/articles?author=marie-dupont&sort=published_at",
    "/v1/articles?tag=syrie&sort=-updated_at",
    "/v1/articles?author=marie-dupont&sort=updated_at",
    "/v1/articles?source=le-figaro",
    "/v1/articles?source=reuters",
    "/v1/articles?speaker=john-kerry",
    "/v1/articles?speaker=john-kerry&sort=published_at",
    "/v1/articles?speaker=john-kerry&sort=-updated_at",
    "/v1/articles?lang=fr",
    "/v1/articles?lang=en&fallback=fr",
    "/v1/articles?published_after=2000-01-01T00:00:00Z",
    "/v1/articles?published_before=2100-01-01T00:00:00Z",
    "/v1/articles?updated_since=2000-01-01T00:00:00Z",
    "/v1/articles?sort=published_at",
    "/v1/articles?sort=-updated_at",
    "/v1/articles?sort=updated_at",
    "/v1/articles?include=quotes,attributions,body",
    "/v1/articles?fields=id,title",
    "/v1/articles?category=international&tag=syrie&lang=fr",
]
QUOTE_LISTS = [
    "/v1/quotes",
    "/v1/quotes?speaker=john-kerry",
    "/v1/quotes?source=le-figaro",
    "/v1/quotes?lang=fr",
    "/v1/quotes?article={article}",
]
# Filters whose matches are sorted only when few, whatever the archive's size (query
# parameter: why). By published_at, a tag's, author's and speaker's pages walk an index in
# their order (`queries.WALKED`): no sort is allowed there.
BOUNDED = {
    "article": "one article's quotes: a handful, sorted in memory",
    "tag": "by updated_at, read from the link's index only below DRIVE_FROM_LINK_BELOW links",
    "author": "by updated_at, read from the link's index only below DRIVE_FROM_LINK_BELOW links",
    "speaker": "by updated_at, read from the quote's person index only below DRIVE_FROM_LINK_BELOW quotes",
}
CATALOGUE_LISTS = ["/v1/categories", "/v1/people", "/v1/sources", "/v1/tags", "/v1/authors"]
CHANGE_LISTS = ["/v1/changes", "/v1/changes?types=article", "/v1/changes?types=quote,person"]


@pytest.fixture(scope="module")
def planner() -> Iterator[sa.Engine]:
    """A database of the same schema, with an archive loaded and analysed by bench/generate.py."""
    url, drop = _create_database(Path(__import__("tempfile").mkdtemp()))
    subprocess.run(
        [
            sys.executable,
            "bench/generate.py",
            "--database-url",
            url,
            "--articles",
            str(ARTICLES),
            "--workers",
            "1",
            "--no-documents",
        ],
        cwd=ROOT,
        check=True,
        timeout=600,
        capture_output=True,
    )
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        yield engine
    finally:
        engine.dispose()
        drop()


def _content(session) -> str:
    section = make_category(session, "international", name="International")
    make_category(session, "moyen-orient", name="Moyen-Orient", parent=section)  # a leaf: walked
    make_tag(session, "syrie", name="Syrie")
    make_author(session, "marie-dupont", name="Marie Dupont")
    make_person(session, "john-kerry", name="John Kerry")
    make_source(session, "le-figaro", name="Le Figaro", kind="publication")
    make_source(session, "reuters", name="Reuters", kind="photo_agency")
    articles = [
        make_article(
            session,
            category="moyen-orient",
            tags=["syrie"],
            authors=["marie-dupont"],
            quotes=[{"text": "Un terrain d'entente.", "speaker": "john-kerry", "source": "le-figaro"}],
            attributions=[{"source": "le-figaro", "role": "read_on", "label": "Lu sur Le Figaro"}],
            image={"url": "https://img.example.org/a.jpg", "alt": "", "credit": "Reuters", "credit_source": "reuters"},
        )
        for _ in range(3)
    ]
    return articles[0].id


def _captured(client, paths: list[str]) -> Iterator[tuple[str, str, object]]:
    """(path, statement, parameters) of every SELECT the API ran for each list and its next page."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    for path in paths:
        limited = path + ("&" if "?" in path else "?") + "limit=1"
        event.listen(sa.Engine, "before_cursor_execute", record)
        try:
            first = client.get(limited)
            assert first.status_code == 200, (limited, first.text)
            cursor = first.json()["meta"].get("next_cursor")
            if cursor:
                key = "since" if path.startswith("/v1/changes") else "cursor"
                after = client.get(f"{limited}&{key}={cursor}")
                assert after.status_code == 200, (limited, after.text)
        finally:
            event.remove(sa.Engine, "before_cursor_execute", record)
        for statement, parameters in seen:
            yield path, statement, parameters
        seen.clear()


def _scans(engine: sa.Engine, statement: str, parameters: object) -> tuple[list[str], str]:
    """What the plan reads whole: content tables scanned, and "sort" when a page (a statement
    with LIMIT) of a content table is sorted after reading every match instead of walked in
    its order; and the plan."""
    paged = re.search(r"\bLIMIT\b", statement, re.IGNORECASE) is not None
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if IS_POSTGRES:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            lines = [row[0] for row in cursor.fetchall()]
            found = [m.group(1) for line in lines if (m := re.search(r"Seq Scan on (\w+)", line))]
            # Whether PostgreSQL sorts a page depends on how many rows it expects for the values
            # asked (here, values of the test database, not of the archive): a few matches
            # sorted is its right choice, so only a sequential scan fails here.
            sorted_page = False
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            rows = cursor.fetchall()
            lines = [f"{'  ' * (row[1] != 0)}{row[3]}" for row in rows]
            # "SCAN quote" reads the table; "SCAN quote USING INDEX …" walks an index in its order.
            found = [m.group(1) for row in rows if (m := re.fullmatch(r"SCAN (\w+)", row[3].strip()))]
            sorted_page = paged and any(_sorts(rows, level) for level in _page_levels(rows))
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    tables = [table for table in found if table in CONTENT]
    touches = any(re.search(rf"\b{table}\b", statement) for table in CONTENT)
    return [*tables, *(["sort"] if sorted_page and touches else [])], "\n".join(lines)


def _sorts(rows: list[tuple], level: int) -> bool:
    return any(row[1] == level and row[3] == "USE TEMP B-TREE FOR ORDER BY" for row in rows)


def _page_levels(rows: list[tuple]) -> list[int]:
    """Where in an SQLite plan a page's sort would be of every match: its top level; or, when
    the top level reads no content table itself but only a subquery's rows (a page of ids
    with each one's stored document beside it, app/articles/documents.py `beside`), that
    subquery's level: the top then sorts the subquery's page, at most its LIMIT of rows."""
    top = [row for row in rows if row[1] == 0]
    read = [m.group(1) for row in top if (m := re.match(r"(?:SCAN|SEARCH) (\w+)", row[3]))]
    subqueries = [row[0] for row in top if row[3].startswith(("CO-ROUTINE", "MATERIALIZE"))]
    if subqueries and not any(table in CONTENT for table in read):
        return subqueries
    return [0]


def _bounded(path: str) -> bool:
    """Whether the list's page may be sorted: one of its filters is BOUNDED, and not walked."""
    query = dict(parse_qsl(urlsplit(path).query))
    walked = path.startswith("/v1/articles") and query.get("sort", "-published_at").endswith("published_at")
    return any(name in BOUNDED and not (walked and name in WALKED) for name in query)


def test_no_list_scans_a_content_table(client, session, planner):
    article_id = _content(session)
    paths = [*ARTICLE_LISTS, *(p.format(article=article_id) for p in QUOTE_LISTS), *CATALOGUE_LISTS, *CHANGE_LISTS]
    asked, scanning = 0, []
    for path, statement, parameters in _captured(client, paths):
        if re.search(r"\bcount\(", statement, re.IGNORECASE):
            continue
        tables, plan = _scans(planner, statement, parameters)
        if _bounded(path):
            tables = [table for table in tables if table != "sort"]
        asked += 1
        if tables:
            scanning.append(f"{path} reads whole: {', '.join(tables)}:\n{statement}\n-- plan:\n{plan}")
    assert asked > len(paths)  # every list ran at least its page's query
    assert not scanning, "\n\n".join(scanning)
