"""Every hook, listener, job and readiness check the app runs on, installed by one call.

Nothing in `app` registers itself when imported: a lower package offers a hook (a `Hook`, a
SQLAlchemy event, the job list) and this module connects the higher packages to it. The app
factory, `gazette worker` and every CLI command call `install()` first, so a script that
imports part of the package and calls it behaves as the server does.
"""

from app.articles import corrections, documents, linked, pending, refill, schedule
from app.articles.schemas import BLOCK_TYPES
from app.cache import purge
from app.changes import feed
from app.http import problems
from app.kit import jobs, writes
from app.observability import metrics
from app.taxonomy import hooks as taxonomy
from app.webhooks import delivery, outbox

_installed = False


def install() -> None:
    """Connect everything (once per process; calling it again changes nothing)."""
    global _installed
    if _installed:
        return
    # The write path: a change raises its webhooks; what a commit changed is purged, and the
    # stored article documents follow it in the same transaction.
    feed.install()
    feed.EVENT_RAISED.register(outbox.enqueue)
    purge.install()
    documents.install()
    purge.BEFORE_COMMIT.register(documents.on_commit)
    writes.WRITTEN_WITHOUT_FLUSH.register(purge.written_without_flush)
    writes.WRITTEN_WITHOUT_FLUSH.register(documents.forget_built)
    # A category, person, source, tag or author changed: so did the articles that show it.
    taxonomy.ARTICLES_CHANGED.register(linked.touch)
    pending.PUBLISHED_WITH_CORRECTION.register(corrections.published_with)
    taxonomy.BODIES_STALE.register(linked.refresh_bodies)
    # Validation errors name body-block fields without the block's type tag.
    problems.UNION_TAGS.update(BLOCK_TYPES)
    # Background jobs, each in a lane of its own (run_once runs them in this order).
    jobs.register(schedule.apply_due, due_in=schedule.due_in)
    jobs.register(refill.fill_documents)
    jobs.register(delivery.deliver_webhooks)
    metrics.install()
    _installed = True
