"""Loading the demo content; running it twice changes nothing.

The content is data: `content.ndjson` is an import file (`POST /v1/import`, `gazette import`),
loaded through the import path like any other, so every object it makes is in the change
feed, the search index and the webhook outbox exactly as if an editor had written it.
`site.json` holds the site-wide comments switch, set through the same service as
`PUT /v1/settings/comments`.

Each article says when it was written, published and last changed (`created_at`,
`published_at`, `updated_at`; the import keeps them): written some hours before publication,
and unchanged since, but for a few corrected or followed up afterwards; two of those say so
with a notice (`corrections`: a correction, an update) dated when they were last changed.

The first article is shaped like the seed page (a French brief with a kicker, a standfirst,
three named speakers, a Reuters photo, a "Lu sur Le Figaro" attribution, comments suspended
site-wide). The bookshop's story (demo-005) has an English translation (demo-017), joined
to it by the file's last line, a translation group. All the text is Gazette's own writing.
Apart from the public figures quoted in the Syria articles, the people quoted here (and the
bookshop and cinema) are fictional.
"""

from importlib import resources
from importlib.resources.abc import Traversable

import orjson
from sqlmodel import Session

from app.site import comments as site
from app.site import writes
from app.transfer import importer


def content_file() -> Traversable:
    return resources.files("app.demo") / "content.ndjson"


def load(session: Session) -> importer.ImportReport:
    """Import every demo resource (what is there already stays unchanged) and switch the
    site's comments off with the demo's reason; the caller commits the switch."""
    with content_file().open("rb") as lines:
        report = importer.import_file(session, lines)
    if report.errors:  # the file is ours: a line it cannot import is a bug, not bad input
        raise RuntimeError(f"the demo content did not import: {report.errors[:3]}")
    comments = orjson.loads((resources.files("app.demo") / "site.json").read_bytes())["comments"]
    if site.get_comments(session) != comments:
        writes.set_comments(session, **comments)
    session.flush()
    return report
