"""What the sitemaps cost to build, in process, on a bench database (the response cache aside).

    python bench/sitemap_cost.py --database-url sqlite:////tmp/bench/s100k.db

Times, over `--rounds` runs each (the median and the slowest), what a cache miss of each
sitemap does: its queries and its XML. The index reads its table of months and counts again
only the months written since (app/sitemaps/months.py): timed with every month to count (the
baseline: what each build did before the table), with one, and with none; a month's sitemap
reads only its own articles. Neither should grow with the archive (compare a 100,000- and a
1,000,000-article database). It writes (marks of months, the table of months): run it on a
copy of a shared archive. Prints one line per sitemap: URLs, alternates (translations,
`bench/translate.py`), bytes, median and max ms; with `--validate`, checks each one against the
schemas the tests use.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--validate",
        action="store_true",
        help="Validate each sitemap built against the schemas in tests/contracts/schemas/sitemaps/.",
    )
    args = parser.parse_args(argv)
    os.environ["GAZETTE_DATABASE_URL"] = args.database_url

    from sqlmodel import Session

    from app.settings import get_settings
    from app.sitemaps import months, queries, render
    from app.store.engine import get_engine
    from app.store.models import SitemapChange
    from app.store.sessions import write_session

    max_urls = get_settings().sitemap_max_urls
    schemas = {}
    if args.validate:
        from lxml import etree

        folder = ROOT / "tests" / "contracts" / "schemas" / "sitemaps"
        schemas = {
            "urlset": etree.XMLSchema(etree.parse(str(folder / "urlset.xsd"))),
            "sitemapindex": etree.XMLSchema(etree.parse(str(folder / "siteindex.xsd"))),
        }

    def check(name: str, body: bytes) -> str:
        if not schemas:
            return ""
        doc = etree.fromstring(body)
        if len(doc) == 0:  # an empty news.xml, as Gazette and others send it; sitemap.xsd wants one <url>
            return "  empty: not validated"
        schema = schemas[etree.QName(doc).localname]
        if not schema.validate(doc):
            sys.exit(f"{name}: not valid: {schema.error_log}")
        return "  valid"

    def timed(name: str, build, before=None) -> float:
        times, body = [], b""
        for _ in range(args.rounds):
            if before is not None:
                before()
            with Session(get_engine()) as session:
                started = time.perf_counter()
                body = build(session)
                times.append((time.perf_counter() - started) * 1000)
        urls = body.count(b"<url>") or body.count(b"<sitemap>")
        print(
            f"{name:<34} {urls:>7,} URLs {body.count(b'<xhtml:link'):>7,} alternates {len(body):>11,} bytes  "
            f"median {statistics.median(times):8.1f} ms  max {max(times):8.1f} ms{check(name, body)}"
        )
        return statistics.median(times)

    def index(s: Session) -> bytes:
        return render.index(months.shards(s, max_urls)[0], news=queries.has_news(s))

    def mark(which: list[queries.Shard]) -> None:
        # What the triggers on `article` write when an article of these months is written.
        with write_session() as s:
            s.add_all(SitemapChange(published_at=datetime(m.year, m.month, 1, tzinfo=UTC)) for m in which)
            s.commit()

    with Session(get_engine()) as session:
        shards = months.shards(session, max_urls)[0]  # brings the table up to date (after the migration: every month)
    firsts = [shard for shard in shards if shard.page == 1]
    print(f"{len(shards)} article sitemaps of at most {max_urls:,} URLs, {len(firsts)} months")
    # The baseline: every month counted, what each build of the index did before the table of months.
    every = timed("index.xml, every month counted", index, lambda: mark(firsts))
    full = firsts[len(firsts) // 2 : len(firsts) // 2 + 1]  # a whole month, in the middle of the archive
    one = timed(f"index.xml, {full[0].name} written", index, lambda: mark(full))
    none = timed("index.xml, no write since", index)
    print(f"index.xml against every month counted: one month written {one / every:.3f}×, no write {none / every:.3f}×")

    def news(s: Session) -> bytes:
        rows = queries.news(s)
        return render.news(rows, queries.alternates(s, rows))

    def page(s: Session, shard: queries.Shard) -> bytes:
        rows = queries.page(s, shard, max_urls)
        return render.articles(rows, queries.alternates(s, rows))

    def newest(s: Session) -> bytes:
        # What news.xml costs when it is full: an archive that ended years ago has nothing in
        # its 48 hours, so this builds it from the newest 1,000 public articles, whenever published.
        rows = queries.news(s, hours=24 * 365 * 100)
        return render.news(rows, queries.alternates(s, rows))

    timed("news.xml", news)
    timed("news.xml (newest 1,000)", newest)
    for shard in (shards[0], shards[len(shards) // 2], shards[-1]):
        timed(f"articles-{shard.name}.xml", lambda s, shard=shard: page(s, shard))


if __name__ == "__main__":
    main()
