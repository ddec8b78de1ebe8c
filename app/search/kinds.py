"""What the search index holds, whatever the engine: its kinds of document and their rows."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.sql.sqltypes import UTCDateTime

# A relevance search ranks at most this many matches per language, the most recent ones:
# ranking reads every candidate, and the cost of a search is about that of its candidates. At
# 10,000, a word found in a tenth of an archive cost 25-125 ms of CPU on either engine (and a
# sequential scan on PostgreSQL); at 2,000, the best of the newest 2,000 matches, a few ms of
# SQL. Older matches stay reachable with sort=-published_at, and count=true counts them all.
RANKED_LIMIT = 2_000
RANK_SCALE = 1_000_000_000  # ranks are stored as integers so that cursors compare them exactly
TIME_TYPE = UTCDateTime()  # the type of Article.published_at: bound values compare alike


@dataclass(frozen=True)
class Kind:
    """One searchable resource: its index table, key column and text columns (by weight)."""

    table: str
    key: str
    columns: tuple[str, ...]
    dated: bool  # rows carry language, published_at and updated_at: no need to read the article

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"


@dataclass(frozen=True)
class Doc:
    """One document to index: its key, its analyser, its texts in column order."""

    key: str
    analyser: str
    texts: tuple[str, ...]
    language: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    # Columns whose indexed terms are known to be this document's already (a write that left
    # those texts and the language alone): an update of an indexed row leaves them as they are.
    kept: frozenset[str] = frozenset()


# Only public articles are in the article index; quotes are all there (a quote list checks
# its article), so that standalone quotes are found too.
ARTICLE = Kind("article_search", "article_id", ("title", "standfirst", "body"), dated=True)
QUOTE = Kind("quote_search", "quote_id", ("text",), dated=False)
