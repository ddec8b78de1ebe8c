"""The `gazette` command."""

import tempfile
from contextlib import nullcontext, suppress
from pathlib import Path

import typer
from rich.console import Console
from sqlmodel import Session

from app.settings import get_settings

app = typer.Typer(help="Gazette, a headless content API for newsrooms.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
search_app = typer.Typer(help="The full-text search index.", no_args_is_help=True)
app.add_typer(search_app, name="search")
console = Console(stderr=True)
console.soft_wrap = not console.is_terminal  # whole lines into a log file, for grep


def _stdout() -> Console:
    """Rich on standard output: the terminal's width there, whole lines into a pipe or a file
    (rich would cut a table at 80 columns)."""
    out = Console()
    return out if out.is_terminal else Console(width=10_000)


def _needs_database(*, may_be_down: bool = False) -> bool:
    """Stop, saying where it looked, unless the database is there and migrated: a command that
    reads or writes never makes a new empty SQLite file (SQLite would, on connecting). With
    `may_be_down` (the server), a database server that does not answer yet is no reason to
    stop: it starts anyway, and is ready once the database is back. Whether it answered."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from app.settings import database_source, find_env_file
    from app.store.engine import get_engine

    url = get_settings().database_url
    source = database_source(find_env_file())
    parsed = make_url(url)
    looked = f"Looked for {parsed.render_as_string()}: {source}."
    hint = "Set GAZETTE_DATABASE_URL, in the environment or in a .env file here or in a directory above"
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "").resolve()
        if not path.is_file():
            console.print(
                f"[red]No database at {path}.[/]",
                looked,
                f"{hint}; or make a new database with `gazette db upgrade`.",
                sep="\n",
            )
            raise typer.Exit(1)
    try:
        migrated = inspect(get_engine()).has_table("alembic_version")
    except SQLAlchemyError as exc:
        if may_be_down:
            console.print(f"[yellow]The database does not answer ({type(exc).__name__}); starting anyway.[/]")
            return False
        console.print(f"[red]Cannot open the database: {exc}[/]", looked, sep="\n")
        raise typer.Exit(1) from None
    if not migrated:
        console.print(
            "[red]The database has no Gazette tables.[/]",
            looked,
            f"{hint}; or migrate this one with `gazette db upgrade`.",
            sep="\n",
        )
        raise typer.Exit(1)
    return True


@app.callback()
def _wired() -> None:
    """Before any command: the hooks, listeners and jobs the server runs on (app.wiring)."""
    from app import wiring

    wiring.install()


def _migrate(revision: str = "heads", *, down: bool = False) -> None:
    """Migrate under the migration lock (app/store/migrate.py); a database ahead of this code
    stops the command with the reason, exit status 3."""
    from app.store import migrate

    try:
        (migrate.downgrade if down else migrate.upgrade)(revision)
    except migrate.SchemaAhead as ahead:
        console.print(f"[red]{ahead}[/]")
        raise typer.Exit(3) from None


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")) -> None:
    """Apply migrations up to REVISION (default: the newest). The rollout step before new
    nodes start; several processes running it at once migrate once."""
    _migrate(revision)
    console.print(f"[green]Database at {revision}.[/]")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument("base")) -> None:
    """Undo migrations down to REVISION (default: an empty database)."""
    _migrate(revision, down=True)
    console.print(f"[yellow]Database at {revision}.[/]")


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., "--name", help="Who or what uses the key."),
    scopes: str = typer.Option(
        ..., "--scopes", help="Comma-separated: content:read,content:write,content:publish,content:embargoed,admin"
    ),
) -> None:
    """Create an API key; the key is printed once, alone on the last line."""
    from app.keys import service
    from app.store.models.key import Scope
    from app.store.sessions import write_session

    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    known = {str(s) for s in Scope}
    bad = [s for s in wanted if s not in known]
    if bad or not wanted:
        console.print(
            f"[red]Unknown scope {bad[0] if bad else '(none given)'}; choose from {', '.join(sorted(known))}.[/]"
        )
        raise typer.Exit(2)
    _needs_database()
    with write_session() as session:
        key, secret = service.create_key(session, name=name, scopes=wanted)
        session.commit()
    console.print(f"Key {key.id} ({name}) with scopes {', '.join(key.scopes)}. It is shown only once:")
    print(secret)  # noqa: T201 - alone on stdout, for scripts to read


@keys_app.command("list")
def keys_list(
    as_json: bool = typer.Option(False, "--json", help="A JSON array of keys, as GET /v1/keys gives them."),
) -> None:
    """List keys (never their secrets)."""
    from rich.table import Table

    from app.keys import service
    from app.store.engine import get_engine

    _needs_database()
    with Session(get_engine()) as session:
        keys = [service.represent(key) for key in service.list_keys(session)]
    if as_json:
        _print_json(keys)
        return
    table = Table("id", "name", "scopes", "created", "last used", "revoked")
    for r in keys:
        table.add_row(
            r["id"], r["name"], ",".join(r["scopes"]), r["created_at"], r["last_used_at"] or "-", r["revoked_at"] or "-"
        )
    _stdout().print(table)


def _print_json(value: object) -> None:
    import sys

    import orjson

    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")


@app.command()
def demo() -> None:
    """Load the demo content (migrating first). Safe to run again."""
    from app.demo.load import load
    from app.store.sessions import write_session

    _migrate()
    with write_session() as session:
        report = load(session)
        session.commit()
    console.print(
        f"[green]Demo content loaded: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged.[/]"
    )


def _invoked_as() -> str:
    """How this command was started (`.venv/bin/gazette`), for a line the user can paste."""
    import sys

    path = Path(sys.argv[0])
    if path.name != "gazette":
        return "gazette"  # python -m app.cli, or a test runner
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path) if path.is_absolute() or "/" in sys.argv[0] else "gazette"


def _fastest(module: str, name: str) -> str:
    import importlib.util

    return name if importlib.util.find_spec(module) is not None else "auto"


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    demo_content: bool = typer.Option(False, "--demo", help="Migrate and load the demo content first."),
    migrate_first: bool = typer.Option(
        True,
        "--migrate/--no-migrate",
        help="Apply migrations first, under a lock (several nodes may start at once); with "
        "--no-migrate, run `gazette db upgrade` before starting nodes.",
    ),
    access_log: bool | None = typer.Option(
        None, "--access-log/--no-access-log", help="One JSON line per request (default: GAZETTE_ACCESS_LOG)."
    ),
    log_level: str = typer.Option("warning", help="critical, error, warning, info, debug or trace."),
    graceful_timeout: float | None = typer.Option(
        None, min=0, help="Seconds in-flight requests get on SIGTERM (default: GAZETTE_GRACEFUL_TIMEOUT_SECONDS)."
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None, help="Proxies trusted for X-Forwarded-* (default: GAZETTE_FORWARDED_ALLOW_IPS)."
    ),
) -> None:
    """Serve the API with uvicorn (uvloop and httptools when installed, no access log unless asked)."""
    import uvicorn

    from app.observability import logs

    if demo_content:
        demo()
    elif migrate_first:
        _migrate()
    else:
        from app.store import migrate

        if _needs_database(may_be_down=True):
            try:
                migrate.check()
            except migrate.SchemaAhead as ahead:
                console.print(f"[red]{ahead}[/]")
                raise typer.Exit(3) from None
    settings = get_settings()
    logged = settings.access_log if access_log is None else access_log
    trusted = settings.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips
    base = f"http://{host}:{port}"
    console.print(f"Gazette on [bold]{base}[/] (database {settings.database_url.split('@')[-1]})")
    console.print(f"  the browsable API: {base}/docs; Ctrl-C stops the server.")
    if demo_content:
        console.print(f"  the gazette command (keys, import, export…), from another terminal: {_invoked_as()} --help")
    if workers > 1:  # /metrics answers for every worker (app/observability/metrics.py)
        from app.observability import metrics

        metrics.share_across_workers(settings.metrics_dir or tempfile.mkdtemp(prefix="gazette-metrics-"))
    grace = graceful_timeout if graceful_timeout is not None else settings.graceful_timeout_seconds
    uvicorn.run(
        "app.main:create_logged_app" if logged else "app.main:create_unlogged_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop=_fastest("uvloop", "uvloop"),
        # uvicorn's httptools protocol with the request limits (GAZETTE_MAX_HEADER_BYTES, …)
        http="app.http.protocol:BoundedHttpToolsProtocol",
        log_level=log_level.lower(),
        log_config=logs.config(settings.log_format, log_level),
        access_log=False,  # uvicorn's own; Gazette's is app/http/middleware/access_log.py
        # uvicorn declares whole seconds but hands them to asyncio.timeout, which takes a float.
        timeout_graceful_shutdown=grace,  # type: ignore[arg-type]
        proxy_headers=True,
        forwarded_allow_ips=trusted,
    )


@app.command()
def worker(once: bool = typer.Option(False, "--once", help="Run one round, then exit.")) -> None:
    """Run the background jobs (webhook deliveries, scheduled publishing) until Ctrl-C.

    With several `gazette serve` processes, set GAZETTE_RUN_BACKGROUND_JOBS=false on them and
    run one or more workers; on PostgreSQL, workers never send the same delivery twice."""
    import asyncio

    from app.articles import refill
    from app.kit import jobs

    _needs_database()
    refill.start_up()
    interval = get_settings().scheduler_interval_seconds
    if once:
        jobs.run_once()
        return
    console.print(f"Gazette worker: {len(jobs.JOBS)} jobs, each every {interval:g} s at most (Ctrl-C stops).")
    try:
        asyncio.run(jobs.run_forever(interval))
    except KeyboardInterrupt:
        console.print("[yellow]Worker stopped.[/]")


@app.command()
def purger(
    metrics_port: int | None = typer.Option(
        None, help="Serve /metrics on this port (0: none; default GAZETTE_PURGER_METRICS_PORT)."
    ),
) -> None:
    """Send every purge on to a CDN (GAZETTE_PURGER_TARGET) until Ctrl-C, resuming where it stopped.

    Run one per CDN. It follows the purge log on SQLite and PostgreSQL alike (docs/caching.md)."""
    import logging
    import signal

    from prometheus_client import start_http_server

    from app.cdn import purger as cdn
    from app.cdn.targets import TargetError, from_settings
    from app.store.engine import get_engine

    settings = get_settings()
    try:
        target = from_settings(settings)
    except TargetError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    port = settings.purger_metrics_port if metrics_port is None else metrics_port
    if port:
        start_http_server(port, registry=cdn.REGISTRY)
    state = cdn.State(Path(settings.purger_state_file))
    running = cdn.Purger(get_engine(), target, state, retry_max_seconds=settings.purger_retry_max_seconds)
    signal.signal(signal.SIGTERM, lambda *_: running.stop.set())
    console.print(
        f"Gazette purger: to {target.name}, position in {state.path}"
        + (f", metrics on :{port}/metrics" if port else "")
        + " (Ctrl-C stops)."
    )
    with suppress(KeyboardInterrupt):
        running.run()
    console.print("[yellow]Purger stopped.[/]")


@search_app.command("reindex")
def search_reindex(batch: int = typer.Option(500, min=1, help="Documents per transaction.")) -> None:
    """Rebuild the search index of every article and quote; search keeps answering meanwhile."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from app.search import index
    from app.store.sessions import write_session

    _needs_database()
    with write_session() as session:  # on SQLite it holds the write lock from the start
        total = index.documents_to_index(session)
        columns = (TextColumn("[bold]reindex"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("reindex", total=total)
            for done in index.reindex(session, batch=batch):
                session.commit()
                progress.advance(task, done)
        session.commit()
    console.print(f"[green]Search index rebuilt: {total} articles and quotes.[/]")


documents_app = typer.Typer(
    help="The stored article documents that single-article reads answer from.", no_args_is_help=True
)
app.add_typer(documents_app, name="documents")


@documents_app.command("rebuild")
def documents_rebuild() -> None:
    """Build every published article's stored document anew; reads keep answering meanwhile."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from app.articles import refill
    from app.store.sessions import write_session

    _needs_database()
    with write_session() as session:
        total = refill.to_build(session)
        columns = (TextColumn("[bold]documents"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("documents", total=total)
            for built in refill.rebuild(session):
                session.commit()
                progress.advance(task, built)
        session.commit()
    console.print(f"[green]Documents rebuilt: {total} articles.[/]")


@app.command("export")
def export_ndjson(
    file: Path | None = typer.Argument(None, dir_okay=False, help="Write here (default: standard output)."),
    full: bool = typer.Option(
        False,
        "--all",
        "--pending",
        help="Every article not deleted (drafts, scheduled, embargoed, expired), each with its pending "
        "version and state, as GET /v1/export gives a content:read key.",
    ),
) -> None:
    """Export all published content as NDJSON (what GET /v1/export streams); --all: all of it."""
    import sys

    from app.transfer import export

    _needs_database()
    with file.open("wb") if file else nullcontext(sys.stdout.buffer) as out:
        for chunk in export.begin(full=full).chunks:
            out.write(chunk)
    if file:
        console.print(f"[green]Exported to {file}.[/]")


@app.command("import")
def import_ndjson(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="An NDJSON export."),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        min=1,
        help="Processes writing batches of articles side by side, on PostgreSQL (default: the CPU count, "
        "at most 4). SQLite takes one writer: there the import runs in one process.",
    ),
    batch_lines: int | None = typer.Option(
        None,
        "--batch-lines",
        min=1,
        max=10_000,
        help="Lines per transaction, and per bulk write of articles (default 200 on PostgreSQL, 1,000 on SQLite).",
    ),
) -> None:
    """Import NDJSON (an upsert: articles by external_id, the rest by slug). Exits 1 if a line failed."""
    import os

    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from app import wiring
    from app.store.engine import is_postgres
    from app.store.sessions import write_session
    from app.transfer import importer, parallel

    _needs_database()
    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress, file.open("rb") as handle, write_session() as session:
        postgres = is_postgres(session)
        processes = (jobs or min(os.cpu_count() or 1, 4)) if postgres else 1
        batch_lines = batch_lines or (importer.BATCH_LINES if postgres else importer.SQLITE_FILE_BATCH_LINES)
        task = progress.add_task(f"Importing {file.name}", total=file.stat().st_size)
        if processes > 1:
            console.print(f"Writing batches of articles in {processes} processes.")
        done = lambda read: progress.update(task, completed=read)  # noqa: E731
        if processes > 1:
            report = parallel.import_file(
                session, handle, jobs=processes, setup=wiring.install, on_progress=done, batch_lines=batch_lines
            )
        else:
            report = importer.import_file(session, handle, on_progress=done, batch_lines=batch_lines)
    console.print(
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.errors)} errors."
    )
    for error in report.errors[:50]:
        console.print(f"[red]line {error.line}[/] {error.field}: {error.message}")
    if len(report.errors) > 50:
        console.print(f"… and {len(report.errors) - 50} more.")
    if report.errors:
        raise typer.Exit(1)


@app.command()
def mirror(
    api_url: str = typer.Option("http://127.0.0.1:8000", "--api-url", help="The Gazette to mirror."),
    key: str | None = typer.Option(
        None, "--key", help="An API key (optional); an admin key also mirrors the site settings."
    ),
    database: Path = typer.Option(Path("mirror.db"), "--database", help="The SQLite file the copy is kept in."),
    follow: bool = typer.Option(
        False, "--follow/--once", help="Keep following the change stream (default: catch up and exit)."
    ),
) -> None:
    """Keep a SQLite copy of every public article, quote, category, person, source, tag and
    author (their public read shapes), from the export and then the change feed. Stop it at any
    point: run again, it resumes where it stopped (docs/sync.md)."""
    import signal

    import httpx

    from app.mirror.sync import Mirror, MirrorError

    def stop(*_: object) -> None:
        raise KeyboardInterrupt  # anywhere: every page is applied in a transaction of its own

    signal.signal(signal.SIGTERM, stop)
    copy = Mirror(api_url, database, key=key, report=console.print)
    try:
        if follow:
            console.print(f"Mirroring {api_url} into {database}, following its changes (Ctrl-C stops).")
            with suppress(KeyboardInterrupt):
                copy.follow()
        else:
            with suppress(KeyboardInterrupt):
                applied = copy.catch_up()
                console.print(f"{copy.progress.listed} listed, {applied} changes applied.")
    except (MirrorError, httpx.HTTPError, OSError) as error:
        console.print(f"[red]{api_url}: {error}[/]")
        raise typer.Exit(1) from None
    finally:
        for note in copy.progress.notes[:1]:
            console.print(f"[yellow]Note: {note}.[/]")
        counts = copy.counts()
        copy.close()
    console.print(f"[green]{database}:[/] " + ", ".join(f"{n} {table}" for table, n in counts.items()))


if __name__ == "__main__":
    app()
