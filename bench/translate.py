"""Make translation groups in a generated archive: each English article becomes the translation
of the French article just before it (by id) that has none yet, as app/articles/translations.py
keeps groups (the French one is the original: `translation_group` holds its id on both).

    python bench/translate.py --database-url sqlite:////tmp/bench/s1m.db

`generate.py` writes no groups; this pairs about half the archive's articles (English ones are
a quarter of it), so that what the sitemaps and reads cost with alternates can be measured.
Run it once on a database migrated to `f3a9c6e1d2b7` or later; it clears earlier groups first.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 20_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)
    os.environ["GAZETTE_DATABASE_URL"] = args.database_url

    from sqlalchemy import bindparam, select, update
    from sqlmodel import Session, col

    from app.store.engine import get_engine
    from app.store.models import Article

    started = time.perf_counter()
    engine = get_engine()
    pairs: list[dict[str, str]] = []
    with Session(engine) as session:
        session.execute(
            update(Article).where(col(Article.translation_group).is_not(None)).values(translation_group=None)
        )
        waiting: str | None = None  # the last French article not yet translated
        for article_id, language in session.execute(
            select(col(Article.id), col(Article.language)).order_by(col(Article.id))
        ):
            if language == "fr":
                waiting = article_id
            elif language == "en" and waiting is not None:
                pairs += [{"key": waiting, "group": waiting}, {"key": article_id, "group": waiting}]
                waiting = None
        table = Article.__table__  # type: ignore[attr-defined]
        statement = update(table).where(table.c.id == bindparam("key")).values(translation_group=bindparam("group"))
        for start in range(0, len(pairs), BATCH):
            session.connection().execute(statement, pairs[start : start + BATCH])
        session.commit()
    print(f"{len(pairs) // 2:,} groups of two ({len(pairs):,} articles) in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
