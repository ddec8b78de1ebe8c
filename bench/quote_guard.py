"""What the quote guard costs on a big live blog: the link query against reading every body.

    python bench/quote_guard.py --database-url sqlite:////tmp/bench/guard.db --updates 5000

Writes one live blog with `--updates` updates through the real write path (every tenth shows
one of the blog's quotes) into the database given, which must be empty or new and is migrated
first, then times, over `--rounds` runs each, "which updates show these quotes" two ways: the
baseline, as Gazette did it before migration c6d8e0f2a4b7 (read every update body of the blog
and look for quote blocks in Python), and `app.articles.quotes.shown_in_updates` (one indexed
query on article_update_quote). Both must find the same blocks. Prints the median and slowest
ms of each and the ratio.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _by_bodies(session: Any, quote_ids: Iterable[str]) -> list[tuple[str, str, int]]:
    """The guard before the links: every update body of the quotes' blogs, read and searched."""
    from sqlalchemy import select
    from sqlmodel import col

    from app.store.models import ArticleUpdate, Quote

    ids = set(quote_ids)
    blogs = select(col(Quote.article_id)).where(col(Quote.id).in_(ids), col(Quote.article_id).is_not(None))
    rows = session.execute(
        select(col(ArticleUpdate.article_id), col(ArticleUpdate.id), col(ArticleUpdate.body))
        .where(col(ArticleUpdate.article_id).in_(blogs))
        .order_by(col(ArticleUpdate.id))
    ).all()
    return [
        (article_id, update_id, index)
        for article_id, update_id, body in rows
        for index, block in enumerate(body or [])
        if block.get("type") == "quote" and block.get("quote_id") in ids
    ]


def _time(run: Callable[[], Any], rounds: int) -> tuple[float, float, Any]:
    times, found = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        found = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ["GAZETTE_DATABASE_URL"] = args.database_url

    from sqlmodel import Session

    from app.articles import quotes
    from app.articles import writes as article_writes
    from app.articles.live import writes as live_writes
    from app.articles.schemas import ArticleCreate, UpdateCreate
    from app.store import migrate
    from app.store.engine import get_engine
    from app.wiring import install

    migrate.upgrade("heads", args.database_url)
    install()
    with Session(get_engine()) as session:
        blog = article_writes.create(
            session,
            ArticleCreate.model_validate(
                {
                    "title": "En direct : le banc d'essai",
                    "body": [{"type": "paragraph", "text": "Suivez-le."}],
                    "live": {},
                    "quotes": [{"text": f"Citation {n}.", "speaker": {"name": "Paul Renard"}} for n in range(3)],
                }
            ),
        )
        session.commit()
        quote_ids = [q.id for q in quotes.stored(session, blog)]
        for n in range(args.updates):
            body: list[dict[str, Any]] = [{"type": "paragraph", "text": f"Point {n} : " + "du texte " * 40}]
            if n % 10 == 0:
                body.append({"type": "quote", "quote": n % 3})
            live_writes.create(session, blog.id, UpdateCreate.model_validate({"body": body}))
            if n % 500 == 499:
                session.commit()
        session.commit()

        wanted = quote_ids[:1]
        base_median, base_max, base_found = _time(lambda: _by_bodies(session, wanted), args.rounds)
        link_median, link_max, link_found = _time(lambda: quotes.shown_in_updates(session, wanted), args.rounds)
    assert sorted(base_found) == sorted(link_found), "the two ways disagree"
    engine = get_engine().dialect.name
    print(f"{engine}: a live blog of {args.updates} updates, {len(link_found)} blocks showing the quote")
    print(f"  baseline (every body read)   median {base_median:8.2f} ms  max {base_max:8.2f} ms")
    print(f"  links (article_update_quote) median {link_median:8.2f} ms  max {link_max:8.2f} ms")
    print(f"  ratio baseline/links: {base_median / link_median:.1f}x")


if __name__ == "__main__":
    main()
