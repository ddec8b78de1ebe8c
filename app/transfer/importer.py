"""NDJSON import: an idempotent upsert, line by line, in batches of transactions.

Articles are matched by `external_id` (or, for one that never had one, by the id an export
gave it), everything else by slug; an article line may carry its pending version (`pending`,
as an export for a key with `content:read` gives it), which becomes the article's.
Each line runs in its own SAVEPOINT, so a bad line leaves nothing half-written and the rest
go on; every BATCH_LINES lines are one transaction, so a big file neither holds one huge
transaction nor pays one commit per line. A line whose write
would change nothing is counted `unchanged` and leaves no trace (no version, no change feed).

This is the one service that commits: at the end of each batch, on the session it is given
(the request's own), since a 200 MB import as one transaction would hold its locks for minutes.
"""

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, BinaryIO, Literal

import anyio.to_thread
import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app.articles import corrections, pending, translations, writes
from app.articles.live import writes as live_writes
from app.articles.pending_schemas import CorrectionIn
from app.articles.schemas import ArticleCreate, CorrectionCopy, QuoteIn, UpdateCreate
from app.http import problems
from app.http.problems import (
    AppError,
    BadRequest,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    field_path,
)
from app.http.schemas import unstorable_fields
from app.kit import writes as write_support
from app.store.models import (
    Article,
    ArticleStatus,
    ArticleUpdate,
    Author,
    Category,
    Person,
    Quote,
    Source,
    Tag,
    resources,
)
from app.store.models.common import to_utc, utcnow
from app.store.models.key import ApiKey
from app.taxonomy import refs
from app.taxonomy import writes as slugged_writes
from app.taxonomy.registry import Model, ModelT
from app.transfer import bulk, export

log = logging.getLogger("gazette.import")

BATCH_LINES = 200
# `gazette import` on SQLite: bigger transactions write each B-tree page they touch once for
# more lines (an import of 20,000 articles: 39.5 s in batches of 200, 32.7 s in batches of 1,000,
# 32.5 s of 2,000; bench/README.md). A transaction holds SQLite's one write lock throughout: the
# API's writes wait a batch's time (about a second at a million articles), reads do not.
SQLITE_FILE_BATCH_LINES = 1000
MAX_IMPORT_BYTES = 200_000_000
MAX_LINE_BYTES = 16_000_000
MEDIA_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
SLUGGED: dict[str, type[Model]] = {r.name: r.model for r in resources.SLUGGED}
TOP_LEVEL = frozenset({"type", "data"})


class LineError(BaseModel):
    line: int
    field: str
    message: str


class ImportReport(BaseModel):
    """What an import did: counts per outcome, and every bad line with its number. Lines 1 to
    `lines` were read and each was committed unless `errors` names it; nothing after was."""

    # Every field is in every report: the schema of the answer requires them all.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    lines: int = Field(
        0, description="Lines read (blank ones too): each was committed unless `errors` names it; none after it was."
    )
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[LineError] = Field(default_factory=list)

    def add(self, part: "ImportReport") -> None:
        """Count a batch's outcomes in (its `lines` are the caller's to say)."""
        self.created += part.created
        self.updated += part.updated
        self.unchanged += part.unchanged
        self.errors.extend(part.errors)


class ArticleTimes(BaseModel):
    """When an article was first written and last changed, as an export gives them: kept when
    the import creates the article (a move from another Gazette or system keeps its history),
    ignored when it updates one (that change happens now: `updated_at` is now, so that
    `updated_since` and `Last-Modified` see it)."""

    model_config = ConfigDict(extra="forbid")

    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


TIMES = frozenset(ArticleTimes.model_fields)


class ArticleState(BaseModel):
    """A status the write shape cannot say (it says `draft`), as a full export gives it:
    scheduled (to go public at `publish_at`) or unpublished (taken down, `published_at` kept)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["scheduled", "unpublished"]
    publish_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _when(self) -> "ArticleState":
        if (self.status == "scheduled") != (self.publish_at is not None):
            raise ValueError("`publish_at` is given for a scheduled article, and only for one")
        return self


class ArticleExtras(BaseModel):
    """What an article line holds beside its write shape and times: its correction notices,
    with their ids and times (app/articles/corrections.py `imported` appends those it lacks),
    and its `state` when the write shape cannot say it."""

    model_config = ConfigDict(extra="forbid")

    corrections: list[CorrectionCopy] = Field(default_factory=list, max_length=500)
    state: ArticleState | None = None


EXTRAS = frozenset(ArticleExtras.model_fields)


def _times(data: dict[str, Any], published_at: datetime | None) -> ArticleTimes:
    """The line's times, checked: none in the future (a later write must move `updated_at`
    forward), created ≤ updated, and a published article updated no earlier than published."""
    times = write_support.validate(ArticleTimes, {k: v for k, v in data.items() if k in TIMES})
    now = utcnow()
    wrong = [(name, "in the future") for name in sorted(TIMES) if (getattr(times, name) or now) > now]
    if times.created_at and times.updated_at and times.updated_at < times.created_at:
        wrong.append(("updated_at", "before created_at"))
    if times.updated_at and published_at and times.updated_at < published_at:
        wrong.append(("updated_at", "before published_at"))
    if wrong:
        errors = [{"field": name, "message": message} for name, message in wrong]
        raise ValidationFailed(problems.summary(errors), errors=errors)
    return times


def _forget(session: Session) -> None:
    """After a savepoint rolled back: every loaded row read again when next used, and the rows
    looked up by slug forgotten (one created under the savepoint is gone)."""
    session.expire_all()
    if refs.SLUG_CACHE in session.info:
        session.info[refs.SLUG_CACHE] = {}


class _Unchanged(Exception):
    """Raised inside a savepoint to undo a write that changed nothing."""


# One line -----------------------------------------------------------------------------------


def _find_article(session: Session, external_id: str) -> Article | None:
    found = session.scalars(select(Article).where(col(Article.external_id) == external_id)).first()
    if found is None:
        # An export names an article without external_id by its id: the same article again.
        by_id = session.get(Article, external_id)
        found = by_id if by_id is not None and by_id.external_id is None else None
    return found


def _keep_quote_ids(session: Session, article: Article, data: ArticleCreate) -> ArticleCreate:
    """Point each incoming quote at the existing quote it is (by external_id, by the id an export
    gave it, or the same text at the same place), so a re-import keeps quote ids."""
    if "id" not in QuoteIn.model_fields:
        return data
    rows = list(
        session.scalars(
            select(Quote).where(col(Quote.article_id) == article.id).order_by(col(Quote.position), col(Quote.id))
        )
    )
    by_key = {q.external_id or q.id: q for q in rows}
    quotes = []
    for position, given in enumerate(data.quotes):
        match = by_key.get(given.external_id) if given.external_id else None
        if match is None and given.id is None and given.external_id is None and position < len(rows):
            same = rows[position]
            match = same if same.text == given.text else None
        if match is not None and given.id is None:
            quotes.append(
                given.model_copy(update={"id": match.id, "external_id": given.external_id or match.external_id})
            )
        else:
            quotes.append(given)
    return data.model_copy(update={"quotes": quotes})


class PendingLine(BaseModel):
    """An article's pending version, as an export for a key with `content:read` gives it."""

    model_config = ConfigDict(extra="forbid")

    article: dict[str, Any]
    stale: bool = False
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    publish_at: AwareDatetime | None = None
    correction: CorrectionIn | None = None


def _pending(session: Session, article: Article, given: Any) -> bool:
    """The article's pending version made what the line's `pending` says; errors name
    `pending.…`. Returns whether anything changed."""
    try:
        if not isinstance(given, dict):
            raise ValidationFailed(
                "`pending` must be an object.", errors=[{"field": "", "message": "must be an object"}]
            )
        line = write_support.validate(PendingLine, given)
        return pending.put(
            session,
            article,
            line.article,
            stale=line.stale,
            created_at=line.created_at,
            updated_at=line.updated_at,
            publish_at=line.publish_at,
            correction=line.correction.model_dump() if line.correction else None,
        )
    except ValidationFailed as exc:
        errors = [{**e, "field": "pending" + (f".{e['field']}" if e["field"] else "")} for e in exc.errors or []] or [
            {"field": "pending", "message": exc.detail}
        ]
        raise ValidationFailed(exc.detail, errors=errors) from None


def _article(session: Session, data: dict[str, Any], key: ApiKey | None) -> str:
    staged = data.get("pending")
    outcome, article = _upsert_article(session, {k: v for k, v in data.items() if k != "pending"}, key)
    if "pending" in data and staged is not None and _pending(session, article, staged) and outcome == "unchanged":
        outcome = "updated"
    return outcome


def validated_article(data: dict[str, Any]) -> tuple[ArticleCreate, "ArticleExtras", ArticleTimes]:
    """An article line's write shape, extras and times, checked; 422 naming the field."""
    parsed = write_support.validate(ArticleCreate, {k: v for k, v in data.items() if k not in TIMES | EXTRAS})
    extras = write_support.validate(ArticleExtras, {k: v for k, v in data.items() if k in EXTRAS})
    if not parsed.external_id:
        raise ValidationFailed(
            "Articles are matched by external_id.", errors=[{"field": "external_id", "message": "required for import"}]
        )
    if extras.state is not None and parsed.status != "draft":
        raise ValidationFailed(
            "A state is the one of a draft line.",
            errors=[{"field": "state", "message": "only with status draft"}],
        )
    published = to_utc(parsed.published_at) if parsed.published_at and parsed.status == "published" else None
    return parsed, extras, _times(data, published)


def _upsert_article(session: Session, data: dict[str, Any], key: ApiKey | None) -> tuple[str, Article]:
    parsed, extras, times = validated_article(data)
    existing = _find_article(session, parsed.external_id or "")  # never empty: validated_article says
    if existing is None:
        made = writes.create(session, parsed, key=key, created_at=times.created_at, updated_at=times.updated_at)
        corrections.imported(session, made, extras.corrections, updated_at=made.updated_at)
        _set_state(made, extras.state, parsed)
        return "created", made
    if existing.deleted_at is not None:
        raise Conflict(
            "This article is deleted: restore it first.",
            errors=[{"field": "external_id", "message": "names a deleted article; restore it first"}],
        )
    before = export.article_shapes(session, [existing])[0], export.state(existing)
    parsed = _keep_quote_ids(session, existing, parsed)
    try:
        with session.begin_nested():
            writes.replace(session, existing, parsed, key=key)
            corrections.imported(session, existing, extras.corrections, updated_at=existing.updated_at)
            _set_state(existing, extras.state, parsed)
            if (export.article_shapes(session, [existing])[0], export.state(existing)) == before:
                raise _Unchanged
    except _Unchanged:
        _forget(session)
        return "unchanged", existing
    return "updated", existing


def _set_state(article: Article, state: ArticleState | None, parsed: ArticleCreate) -> None:
    """A draft line's `state` made the article's: scheduled at `publish_at`, or unpublished with
    the line's `published_at`. Neither is public, as the draft the write left: nothing the
    public or the feed saw changes. Without one, the write's own rule stands (a scheduled or
    unpublished article stays so under `draft`)."""
    if state is None:
        return
    article.status = ArticleStatus(state.status)
    article.publish_at = to_utc(state.publish_at) if state.publish_at else None
    if state.status == "unpublished" and parsed.published_at:
        article.published_at = to_utc(parsed.published_at)


class TranslationGroupLine(BaseModel):
    """A translation group as an export writes it: its articles by external_id, the original first."""

    model_config = ConfigDict(extra="forbid")

    articles: list[str] = Field(min_length=2, max_length=200)


def _translation_group(session: Session, data: dict[str, Any], key: ApiKey | None) -> str:
    """Every article named joins the first one's group (app/articles/translations.py); an
    unknown one is an error naming it. Unchanged when they are that group already."""
    parsed = write_support.validate(TranslationGroupLine, data)
    found = []
    for position, external_id in enumerate(parsed.articles):
        article = _find_article(session, external_id)
        if article is None:
            raise ValidationFailed(
                "A translation group names an article that is not there.",
                errors=[{"field": f"articles[{position}]", "message": f"no article {external_id!r}"}],
            )
        found.append(article)
    original, *others = found
    group = original.translation_group or original.id
    if original.translation_group is not None and all(a.translation_group == group for a in others):
        return "unchanged"
    new = all(a.translation_group is None for a in found)
    for article in others:
        translations.join(session, article, original.id)
    session.flush()
    translations.record_reshown(session)
    return "created" if new else "updated"


def _slugged(model: type[ModelT]) -> Callable[[Session, dict[str, Any], ApiKey | None], str]:
    kind = slugged_writes.kind_of(model)

    def upsert(session: Session, data: dict[str, Any], key: ApiKey | None) -> str:
        parsed = write_support.validate(kind.create, data)
        if parsed.slug is None:
            raise ValidationFailed(
                f"A {kind.resource_type} is matched by its slug.",
                errors=[{"field": "slug", "message": "required for import"}],
            )
        row = session.scalars(select(model).where(col(model.slug) == parsed.slug)).first()
        if row is None:
            slugged_writes.create(session, kind, parsed)
            return "created"
        incoming = parsed.model_dump(mode="json")
        if slugged_writes.document(session, kind, row) == incoming:
            return "unchanged"
        slugged_writes.update(session, kind, row.slug, incoming, if_match="*")
        return "updated"

    return upsert


class UpdateLine(BaseModel):
    """What an update's line carries besides its create shape: which article's it is (the key
    the article's own line has), and, in an export made before updates had an external_id,
    the update's id (its key then)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(None, pattern=r"^[0-9a-z]{26}$")
    article: str = Field(min_length=1, max_length=200)


UPDATE_LINE = frozenset(UpdateLine.model_fields)


def _find_update(session: Session, key: str) -> ArticleUpdate | None:
    """The update an import line names, as `_find_article` finds an article: by external_id, or
    by the id an export gave one that had none."""
    found = session.scalars(select(ArticleUpdate).where(col(ArticleUpdate.external_id) == key)).first()
    if found is None:
        by_id = session.get(ArticleUpdate, key)
        found = by_id if by_id is not None and by_id.external_id is None else None
    return found


def _update(session: Session, data: dict[str, Any], key: ApiKey | None) -> str:
    """A live blog's update, matched by external_id (or the id an export named it by):
    created (its times kept) or merged into."""
    which = write_support.validate(UpdateLine, data)
    shape = {k: v for k, v in data.items() if k not in UPDATE_LINE | TIMES}
    shape["external_id"] = shape.get("external_id") or which.id
    parsed = write_support.validate(UpdateCreate, shape)
    if not parsed.external_id:
        raise ValidationFailed(
            "Updates are matched by external_id.", errors=[{"field": "external_id", "message": "required for import"}]
        )
    article = _find_article(session, which.article)
    if article is None:
        raise ValidationFailed(
            f"No article {which.article!r}.", errors=[{"field": "article", "message": "no article with this key"}]
        )
    existing = _find_update(session, parsed.external_id)
    if existing is None:
        published = to_utc(parsed.published_at) if parsed.published_at else None
        times = _times(data, published)
        live_writes.create(
            session,
            article.id,
            parsed,
            key=key,
            **{k: v for k, v in times.model_dump().items() if v is not None},
        )
        return "created"
    if existing.article_id != article.id:
        raise Conflict(
            "This update belongs to another article.",
            errors=[{"field": "external_id", "message": "an update of another article"}],
        )
    if existing.external_id is None:
        shape["external_id"] = None  # named by its id, as an export names one without: it stays so
    version = existing.version
    _, row = live_writes.update(session, article.id, existing.id, shape, if_match="*", key=key)
    return "unchanged" if row.version == version else "updated"


HANDLERS: dict[str, Callable[[Session, dict[str, Any], ApiKey | None], str]] = {
    "article": _article,
    "translation_group": _translation_group,
    **{name: _slugged(model) for name, model in SLUGGED.items()},
    "update": _update,
}


def _parse(number: int, raw: bytes | None) -> tuple[str, dict[str, Any]] | LineError:
    if raw is None:
        return LineError(line=number, field="line", message=f"longer than {MAX_LINE_BYTES} bytes")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return LineError(line=number, field="line", message=f"not JSON: {exc}")
    if not isinstance(doc, dict):
        return LineError(line=number, field="line", message='not a JSON object {"type": …, "data": {…}}')
    unstorable = unstorable_fields(doc)  # text no engine stores (PostgreSQL would fail the line)
    if unstorable:
        path, why = unstorable[0]
        return LineError(line=number, field=field_path(path) or "line", message=why)
    extra = sorted(set(doc) - TOP_LEVEL)
    if extra:
        return LineError(line=number, field=extra[0], message="unknown field")
    if doc.get("type") not in HANDLERS:
        return LineError(
            line=number,
            field="type",
            message=f"unknown type {doc.get('type')!r}; expected one of: {', '.join(HANDLERS)}",
        )
    if not isinstance(doc.get("data"), dict):
        return LineError(line=number, field="data", message="must be an object")
    return doc["type"], doc["data"]


def _run_line(
    session: Session, number: int, parsed: tuple[str, dict[str, Any]] | LineError, key: ApiKey | None
) -> str | list[LineError]:
    if isinstance(parsed, LineError):
        return [parsed]
    kind, data = parsed
    try:
        with session.begin_nested():
            return HANDLERS[kind](session, data, key)
    except AppError as exc:
        _forget(session)
        problems = exc.errors or [{"field": "", "message": exc.detail}]
        return [
            LineError(line=number, field="data" + (f".{p['field']}" if p["field"] else ""), message=p["message"])
            for p in problems
        ]
    except SQLAlchemyError as exc:
        _forget(session)
        log.warning("import line %d could not be written: %s", number, exc)
        return [LineError(line=number, field="data", message="could not be written: it clashes with stored data")]
    except Exception:
        _forget(session)
        log.exception("import line %d failed", number)
        return [LineError(line=number, field="data", message="could not be imported (the error is logged)")]


# Batches ------------------------------------------------------------------------------------


def _slugs_named(data: dict[str, Any]) -> dict[type[Model], set[str]]:
    """The slugs an article line names, by model, as written (before validation: a slug that is
    not one is then merely not found here, and the line's own lookup reports it)."""
    named: dict[type[Model], set[str]] = {Category: set(), Tag: set(), Author: set(), Person: set(), Source: set()}

    def add(model: type[Model], value: Any) -> None:
        if isinstance(value, str):
            named[model].add(value)

    def each(value: Any) -> list[Any]:
        return value if isinstance(value, list) else []

    add(Category, data.get("category"))
    for model, field in ((Category, "categories"), (Tag, "tags"), (Author, "authors")):
        for slug in each(data.get(field)):
            add(model, slug)
    for quote in each(data.get("quotes")):
        if isinstance(quote, dict):
            add(Person, quote.get("speaker"))
            add(Source, quote.get("source"))
    for attribution in each(data.get("attributions")):
        if isinstance(attribution, dict):
            add(Source, attribution.get("source"))
    if isinstance(data.get("image"), dict):
        add(Source, data["image"].get("credit_source"))
    return named


def _look_up_named(session: Session, lines: list[tuple[str, dict[str, Any]]]) -> None:
    """Everything the batch's article lines name by slug, read into `refs.SLUG_CACHE` in one
    statement per kind, where each line looked its own up (on PostgreSQL, most of a line's
    round trips: measured, bench/README.md)."""
    wanted: dict[type[Model], set[str]] = {}
    for kind, data in lines:
        if kind == "article":
            for model, slugs in _slugs_named(data).items():
                wanted.setdefault(model, set()).update(slugs)
    for model, slugs in wanted.items():
        if slugs:
            refs.by_slugs_found(session, model, sorted(slugs))


class Importer:
    """Collects lines and writes them BATCH_LINES at a time, one transaction per batch."""

    def __init__(self, session: Session, key: ApiKey | None) -> None:
        self.session = session
        self.key = key
        self.report = ImportReport()
        self.pending: list[tuple[int, bytes | None]] = []
        self.statistics = bulk.Statistics(session)

    def add(self, number: int, raw: bytes | None) -> bool:
        """Queue a line; True when a batch is ready to flush."""
        self.report.lines = number  # its outcome is in the report by the time anyone reads it
        if raw is not None and not raw.strip():
            return False  # blank lines are allowed and skipped
        self.pending.append((number, raw))
        return len(self.pending) >= BATCH_LINES

    def _lines(
        self, parsed: list[tuple[int, tuple[str, dict[str, Any]] | LineError]]
    ) -> list[tuple[int, str | list[LineError]]]:
        """Write the batch's lines, in order, and say what became of each. Its article lines
        go to the bulk path (`_in_bulk`) when every line before them is a category, tag,
        author, person or source (an export's order: those lines first, written one by one
        here, without an error) and nothing comes after them; anything else line by line."""
        session, key = self.session, self.key
        split = next(
            (i for i, (_, line) in enumerate(parsed) if not isinstance(line, LineError) and line[0] == "article"),
            len(parsed),
        )
        head, rest = parsed[:split], parsed[split:]
        if not rest or not all(not isinstance(line, LineError) and line[0] in SLUGGED for _, line in head):
            return [(number, _run_line(session, number, line, key)) for number, line in parsed]
        done = [(number, _run_line(session, number, line, key)) for number, line in head]
        written = None if any(isinstance(outcome, list) for _, outcome in done) else self._in_bulk(rest)
        return done + (written or [(number, _run_line(session, number, line, key)) for number, line in rest])

    def _in_bulk(
        self, parsed: list[tuple[int, tuple[str, dict[str, Any]] | LineError]]
    ) -> list[tuple[int, str | list[LineError]]] | None:
        """Lines that each create a new article, written by the bulk path
        (app/transfer/bulk.py), a statement per table; None, having written nothing, for
        lines it cannot take (any other line, one that fails validation, or anything the
        bulk path leaves to the write path), which then go line by line."""
        lines: list[bulk.NewArticle] = []
        for number, line in parsed:
            if isinstance(line, LineError) or line[0] != "article" or line[1].get("pending") is not None:
                return None
            try:
                data, extras, times = validated_article(line[1])
            except AppError:
                return None
            if extras.corrections or extras.state is not None:
                return None
            lines.append(bulk.NewArticle(number, data, times.created_at, times.updated_at))
        session = self.session
        rows = bulk.rows_of(session, self.key, lines) if bulk.plan(session, self.key, lines) else None
        if rows is None:
            return None
        try:
            with session.begin_nested():
                bulk.write(session, rows)
        except Exception as exc:  # the driver's own errors too (COPY and executemany go to it directly)
            _forget(session)
            log.warning(
                "import lines %d-%d could not be written at once, now line by line: %s",
                lines[0].number,
                lines[-1].number,
                exc,
            )
            return None
        return [(line.number, "created") for line in lines]

    def write(self, batch: list[tuple[int, bytes | None]]) -> ImportReport:
        """Write one batch as one transaction, and say what became of its lines alone."""
        self.report, self.pending = ImportReport(), batch
        self.flush()
        return self.report

    def flush(self) -> None:
        """Write the queued lines and commit them as one transaction."""
        batch, self.pending = self.pending, []
        if not batch:
            return
        session = self.session
        # Rows looked up by slug are kept for the batch (`refs.SLUG_CACHE`): each article line
        # names a category, tags, authors and speakers that earlier lines named already.
        session.info[refs.SLUG_CACHE] = {}
        try:
            parsed = [(number, _parse(number, raw)) for number, raw in batch]
            _look_up_named(session, [line for _, line in parsed if not isinstance(line, LineError)])
            outcomes = self._lines(parsed)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("import batch of lines %d-%d failed to commit", batch[0][0], batch[-1][0])
            lost = "not saved: the transaction of its batch failed"
            outcomes = [(n, [LineError(line=n, field="line", message=lost)]) for n, _ in batch]
        finally:
            session.info.pop(refs.SLUG_CACHE, None)
        # Constant memory: nothing of a written batch needs to stay in the identity map.
        session.expunge_all()
        for _, outcome in outcomes:
            if isinstance(outcome, list):
                self.report.errors.extend(outcome)
            else:
                setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        self.statistics.grew(session, sum(outcome == "created" for _, outcome in outcomes))


# Entry points -------------------------------------------------------------------------------


def check_request(content_type: str | None, content_length: str | None) -> None:
    """415 unless the body is NDJSON; 413 when it says up front that it is too big."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Send NDJSON as Content-Type: application/x-ndjson (got {media_type or 'none'}).",
            errors=[{"field": "Content-Type", "message": "must be application/x-ndjson"}],
        )
    if content_length:
        if not content_length.strip().isdigit():
            raise BadRequest(
                "Content-Length is not a number.", errors=[{"field": "Content-Length", "message": "not a number"}]
            )
        if int(content_length) > MAX_IMPORT_BYTES:
            raise PayloadTooLarge(f"An import may be up to {MAX_IMPORT_BYTES} bytes; split the file.")


def _split(chunk: bytes, state: dict[str, Any]) -> Iterator[tuple[int, bytes | None]]:
    """Complete lines out of a stream of chunks; an over-long line comes out as None, once."""
    buffer: bytearray = state["buffer"]
    buffer += chunk
    if b"\n" not in chunk:
        if len(buffer) > MAX_LINE_BYTES:
            if not state["skipping"]:
                state["number"] += 1
                yield state["number"], None
            state["skipping"] = True
            buffer.clear()
        return
    *complete, rest = bytes(buffer).split(b"\n")
    state["buffer"] = bytearray(rest)
    for index, raw in enumerate(complete):
        if index == 0 and state["skipping"]:
            state["skipping"] = False  # the tail of the over-long line
            continue
        state["number"] += 1
        yield state["number"], (raw if len(raw) <= MAX_LINE_BYTES else None)


def _tail(state: dict[str, Any]) -> Iterator[tuple[int, bytes | None]]:
    if state["buffer"].strip() and not state["skipping"]:
        state["number"] += 1
        yield state["number"], bytes(state["buffer"])


def _new_state() -> dict[str, Any]:
    return {"buffer": bytearray(), "number": 0, "skipping": False}


async def import_stream(
    session: Session, chunks: AsyncIterator[bytes], *, key: ApiKey | None, max_bytes: int | None = None
) -> ImportReport:
    """Import an NDJSON request body as it arrives; database work runs in a worker thread."""
    importer, state, total = Importer(session, key), _new_state(), 0
    max_bytes = max_bytes or MAX_IMPORT_BYTES
    async for chunk in chunks:
        room, total = max_bytes - total, total + len(chunk)
        if total > max_bytes:
            # The lines whole within the first max_bytes bytes are imported, whatever the
            # chunks the body came in, and the problem says exactly what was (`report`).
            for number, raw in _split(chunk[:room], state):
                if importer.add(number, raw):
                    await anyio.to_thread.run_sync(importer.flush)
            await anyio.to_thread.run_sync(importer.flush)
            r = importer.report
            raise PayloadTooLarge(
                f"An import may be up to {max_bytes} bytes. Lines 1-{r.lines} were read and committed, "
                f"but for the {len(r.errors)} that report.errors names ({r.created} created, {r.updated} updated, "
                f"{r.unchanged} unchanged); nothing after line {r.lines} was. Send the rest separately.",
                headers={"Connection": "close"},
                extensions={"report": r.model_dump()},
            )
        for number, raw in _split(chunk, state):
            if importer.add(number, raw):
                await anyio.to_thread.run_sync(importer.flush)
    for number, raw in _tail(state):
        importer.add(number, raw)
    await anyio.to_thread.run_sync(importer.flush)
    await anyio.to_thread.run_sync(importer.statistics.settle, session, importer.report.created)
    return importer.report


def batches(
    lines: BinaryIO | Iterable[bytes], size: int = BATCH_LINES
) -> Iterator[tuple[list[tuple[int, bytes | None]], int, int]]:
    """A file's non-blank lines in batches of `size` (an over-long one as None), each with
    the number of the last line read, blank ones included, and the bytes read so far."""
    batch: list[tuple[int, bytes | None]] = []
    state, read = _new_state(), 0
    for chunk in iter(lambda: lines.read(1 << 20), b"") if hasattr(lines, "read") else lines:
        read += len(chunk)
        for number, raw in _split(chunk, state):
            if raw is None or raw.strip():  # blank lines are allowed and skipped
                batch.append((number, raw))
            if len(batch) >= size:
                yield batch, number, read
                batch = []
    batch.extend((number, raw) for number, raw in _tail(state))
    yield batch, state["number"], read


def import_file(
    session: Session,
    lines: BinaryIO | Iterable[bytes],
    *,
    key: ApiKey | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_lines: int = BATCH_LINES,
) -> ImportReport:
    """Import an NDJSON file (the CLI), `batch_lines` lines a transaction; `on_progress`
    hears the bytes read so far."""
    importer, report = Importer(session, key), ImportReport()
    for batch, number, read in batches(lines, batch_lines):
        report.lines = number
        report.add(importer.write(batch))
        if on_progress:
            on_progress(read)
    importer.statistics.settle(session, report.created)
    return report
