"""Settings, read from the environment (prefix GAZETTE_) through get_settings() only.

Where the environment leaves a setting out, the nearest `.env` file does: the one in the
directory Gazette runs from or the closest above it, as git finds its repository. So the
`gazette` command finds the same database from anywhere inside a checkout. A relative SQLite
path written in that file is relative to the file's own directory.
"""

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Published secrets: the default of earlier versions signs nothing any more.
KNOWN_SECRETS = frozenset({"change-me-in-production"})
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GAZETTE_", extra="ignore")

    database_url: str = Field(
        "sqlite:///gazette.db",
        description="SQLAlchemy URL of the primary database (sqlite:///… or postgresql://…).",
    )
    database_replica_url: str | None = Field(
        None, description="A read replica (PostgreSQL); public reads go there when set. Kept beside the list below."
    )
    database_replica_urls: str | None = Field(
        None,
        description="Read replicas (PostgreSQL), comma-separated: each process reads from one in use, purges "
        "follow their replay, and /readyz and /metrics report their lag (docs/production.md#read-replicas).",
    )
    database_listen_url: str | None = Field(
        None,
        description="PostgreSQL: a direct connection to the primary for LISTEN (purge broadcasts), when "
        "GAZETTE_DATABASE_URL goes through a pooler in transaction mode such as PgBouncer; unset, that URL.",
    )
    replica_max_lag_seconds: float = Field(
        10.0,
        gt=0,
        description="A replica further behind the primary than this (or not answering) is out of use: "
        "public reads go to another, or to the primary, until it catches up.",
    )
    site_url: str = Field("https://www.example.org", description="Public site base URL, used for canonical links.")
    api_url: str = Field(
        "http://127.0.0.1:8000",
        description="The API's public base URL, as clients reach it (behind a CDN, the CDN's): the start of "
        "every absolute URL Gazette writes (feed ids and links, ninjs uri, Link, a redirect's Location).",
    )
    site_name: str = Field("Gazette", description="Site name, used in feeds and JSON-LD.")
    liveblog_embed_updates: int = Field(
        10,
        ge=1,
        le=100,
        description="A live blog's newest updates that include=updates embeds in the article, and its "
        "JSON-LD (`liveBlogUpdate`) shows.",
    )
    sitemap_base_url: str | None = Field(
        None,
        description="Where the site serves Gazette's /sitemaps/ (its proxy passes them on): the sitemap "
        "index names its sitemaps under it. Unset, site_url.",
    )
    sitemap_max_urls: int = Field(
        10_000,
        ge=1,
        le=50_000,
        description="URLs per article sitemap; a month with more is split into pages. The protocol "
        "allows 50,000; 10,000 keeps a page (about 4 MB) in the response cache and its build short.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS; ['*'] allows any.")
    secret_key: str | None = Field(
        None,
        description="Signs preview tokens. Unset, the server makes a random key at its first start and "
        "keeps it in the database (table server_secret), shared by every process and node; set, this "
        "value is used instead (at least 32 characters).",
    )
    max_body_bytes: int = Field(
        2_000_000,
        description="Largest request body accepted (413 above) by routes without a limit of their "
        "own; POST /v1/import takes up to 200 MB.",
    )
    cache_max_age: int = Field(60, description="Cache-Control max-age of public responses, seconds.")
    cache_stale_while_revalidate: int = Field(30, description="stale-while-revalidate, seconds.")
    cache_stale_if_error: int = Field(86_400, description="stale-if-error, seconds.")
    edge_cache_tag: bool = Field(
        False,
        description="Send Akamai's Edge-Cache-Tag beside Surrogate-Key: the same keys as Akamai cache tags "
        "(`article.abc` for `article:abc`), comma-separated, with `gazette` on every response.",
    )
    response_cache_enabled: bool = Field(True, description="Serve public GETs from memory.")
    response_cache_max_bytes: int = Field(64_000_000, description="Bound of the response cache.")
    scheduler_interval_seconds: float = Field(
        5.0, description="How often scheduled articles and webhook deliveries are looked at."
    )
    run_background_jobs: bool = Field(
        True, description="Whether `gazette serve` publishes scheduled articles and delivers webhooks."
    )
    pool_size: int = Field(10, description="Database connections per process (PostgreSQL).")
    database_pool_timeout_seconds: float = Field(
        2.0,
        gt=0,
        description="How long a request waits for a free database connection before it is answered "
        "503 with Retry-After (SQLAlchemy's pool_timeout).",
    )
    sqlite_wal_limit_bytes: int = Field(
        64 * 1024 * 1024,
        ge=0,
        description="SQLite: the size the write-ahead log is brought back to after a burst of writes "
        "(journal_size_limit; past it, the checkpointer truncates the log as soon as no reader holds it).",
    )
    threads: int = Field(
        4,
        ge=1,
        le=200,
        description="Threads per process running requests' database work. More threads wait on each "
        "other for Python's lock: 4 served about 1.5× the requests of 40 in bench/ on 2 cores.",
    )
    writes_on_event_loop: bool = Field(
        True,
        description="Run write endpoints on the event loop instead of in the request threadpool "
        "(PostgreSQL through psycopg's async driver; on SQLite article writes, once the write lock is "
        "held): under a mixed load the p99 fell by a third on PostgreSQL and a ninth on SQLite in "
        "bench/, as a write in a thread waits for Python's lock after each statement.",
    )
    stream_heartbeat_seconds: float = Field(
        15.0,
        gt=0,
        description="How often an idle change stream (GET /v1/changes as text/event-stream) sends a "
        "comment line, so that proxies and load balancers keep it open.",
    )
    stream_max_connections: int = Field(
        1000,
        ge=0,
        description="Change streams one process holds open at once; past it, 503 with Retry-After.",
    )
    webhook_backoff_base_seconds: float = Field(
        10.0, gt=0, description="First retry of a failed webhook delivery after about this long; doubles each time."
    )
    webhook_backoff_max_seconds: float = Field(3600.0, gt=0, description="Longest wait between two tries.")
    webhook_max_age_hours: float = Field(
        24.0,
        gt=0,
        description="Deliveries are retried this long, then dead; a subscription failing this long is disabled.",
    )
    metrics_dir: str | None = Field(
        None,
        description="Where `gazette serve --workers N` keeps the workers' metrics, so that /metrics "
        "adds them up (emptied at start); a fresh temporary directory when unset.",
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="How long a receiver has to connect, take the message and answer, each step."
    )
    webhook_concurrency: int = Field(
        16, ge=1, le=256, description="Deliveries sent side by side by one process (to different receivers or not)."
    )
    webhook_allowed_networks: str = Field(
        "",
        description="Comma-separated CIDRs (such as 127.0.0.0/8,10.1.0.0/16) that webhook destinations may "
        "reach though they are loopback, private, link-local or otherwise not public; empty: public "
        "addresses only.",
    )
    webhook_secret_overlap_hours: float = Field(
        24.0,
        ge=0,
        le=720,
        description="After a webhook's secret is rotated, the old one keeps signing (beside the new) this long, "
        "unless the rotation names its own end.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis (redis://host:6379/0): rate-limit counters shared by every process; "
        "unset, each process counts in memory on its own.",
    )
    rate_limit_enabled: bool = Field(True, description="Answer 429 past the rate limits (docs/rate-limits.md).")
    rate_limit_per_key: str = Field("1200/minute", description="Requests per API key (a `limits` string).")
    rate_limit_per_address: str | None = Field(
        None,
        description="Requests without a key per client address (a `limits` string); unset or empty, they are "
        "not counted: one address may be a CDN or a front end's server speaking for many readers.",
    )
    rate_limit_failed_auth: str = Field(
        "20/minute",
        description="Requests answered 401 that carried a key, per address; past it every request "
        "from that address that carries a key gets 429.",
    )
    rate_limit_prefix: str = Field("gazette", description="Prefix of the counters' keys in Redis.")

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not a network: write CIDRs such as '127.0.0.0/8,::1/128'") from None
        return value

    @property
    def allowed_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """`webhook_allowed_networks`, parsed."""
        parts = (p.strip() for p in self.webhook_allowed_networks.split(","))
        return tuple(ipaddress.ip_network(p, strict=False) for p in parts if p)

    @field_validator("secret_key")
    @classmethod
    def _a_secret(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None  # unset: the server's own key, kept in the database
        if value in KNOWN_SECRETS:
            raise ValueError(
                "GAZETTE_SECRET_KEY is the default Gazette once shipped, which anyone can sign with: "
                "unset it (the server then makes its own key and keeps it in the database) or set a "
                "long random value"
            )
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"GAZETTE_SECRET_KEY is {len(value)} characters: give at least {MIN_SECRET_LENGTH} random "
                "ones (python -c 'import secrets; print(secrets.token_urlsafe(48))'), or unset it"
            )
        return value

    @field_validator("rate_limit_per_address", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("rate_limit_per_key", "rate_limit_per_address", "rate_limit_failed_auth")
    @classmethod
    def _a_rate_limit(cls, value: str | None) -> str | None:
        if value is None:  # only the per-address limit may be unset
            return None
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit: write e.g. '600/minute' or '5/2second'") from None
        return value

    purger_target: Literal["varnish", "fastly", "cloudflare", "akamai", "http"] | None = Field(
        None, description="`gazette purger`: the CDN its purges go to."
    )
    purger_url: str | None = Field(
        None,
        description="`gazette purger`: where they go (Varnish: its address, default http://127.0.0.1:6081; "
        "Fastly and Cloudflare: their API, by default; Akamai: https://{host} of your API client; http: the URL).",
    )
    purger_service: str | None = Field(
        None, description="Fastly: the service id; Cloudflare: the zone id; Akamai: the network (production)."
    )
    purger_token: str | None = Field(
        None, description="Fastly: the API token (Fastly-Key); Cloudflare: an API token; http: a bearer token."
    )
    akamai_client_token: str | None = Field(None, description="Akamai EdgeGrid client_token (`gazette purger`).")
    akamai_client_secret: str | None = Field(None, description="Akamai EdgeGrid client_secret.")
    akamai_access_token: str | None = Field(None, description="Akamai EdgeGrid access_token.")
    purger_batch: int | None = Field(
        None, ge=1, description="At most this many keys a request (below the target's own limit)."
    )
    purger_state_file: str = Field(
        "gazette-purger.json", description="Where `gazette purger` keeps its position in the purge log."
    )
    purger_metrics_port: int = Field(
        9464, ge=0, le=65535, description="Port of `gazette purger`'s own /metrics (0: none)."
    )
    purger_retry_max_seconds: float = Field(30.0, gt=0, description="Longest wait between two tries of a purge.")

    access_log: bool = Field(
        False, description="Write one JSON line per request to the logger gazette.access (`serve --access-log`)."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="`gazette serve`'s log lines: text, or one JSON object a line (with request_id)."
    )
    graceful_timeout_seconds: float = Field(
        20.0, ge=0, description="On SIGTERM, how long `gazette serve` lets in-flight requests finish."
    )
    max_url_bytes: int = Field(
        16_384, ge=256, description="Longest request target (path and query) `gazette serve` reads; 414 above."
    )
    max_header_bytes: int = Field(
        65_536,
        ge=1_024,
        description="Largest request head (request line and headers) `gazette serve` reads; 431 above.",
    )
    max_header_count: int = Field(100, ge=8, description="Most header fields in a request; 431 above.")
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="Time a client has to send a request's whole head once it starts; 408 after."
    )
    keep_alive_timeout_seconds: float = Field(
        5.0, gt=0, description="How long an idle keep-alive connection stays open between requests."
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest silence while a request body is being read (the server waiting for bytes); "
        "408 or a closed connection after.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies whose X-Forwarded-For/-Proto are believed (comma-separated, or *)."
    )


SQLITE_RELATIVE = "sqlite:///"


def find_env_file(start: Path | None = None) -> Path | None:
    """The nearest `.env` from `start` (the working directory) upwards, if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


def database_source(env_file: Path | None) -> str:
    """Where the database URL came from, in words (for a command that finds no database)."""
    if any(name.upper() == "GAZETTE_DATABASE_URL" for name in os.environ):
        return "GAZETTE_DATABASE_URL in the environment"
    if env_file is not None and "GAZETTE_DATABASE_URL" in _env_file_names(env_file):
        return f"GAZETTE_DATABASE_URL in {env_file}"
    where = f"{env_file} does not set it" if env_file else f"there is no .env in {Path.cwd()} or above"
    return f"the default, as GAZETTE_DATABASE_URL is not in the environment and {where}"


def _env_file_names(env_file: Path) -> set[str]:
    from dotenv import dotenv_values  # pydantic-settings' own reader of .env files

    return {name.upper() for name in dotenv_values(env_file)}


def _anchored(url: str, folder: Path) -> str:
    """A relative SQLite path made absolute against `folder`."""
    path = url[len(SQLITE_RELATIVE) :]
    if not url.startswith(SQLITE_RELATIVE) or path.startswith("/") or path.split("?")[0] in ("", ":memory:"):
        return url
    return f"{SQLITE_RELATIVE}{(folder / path).as_posix()}"


@lru_cache
def get_settings() -> Settings:
    env_file = find_env_file()
    settings = Settings(_env_file=env_file)
    if env_file is not None and database_source(env_file).endswith(str(env_file)):
        settings.database_url = _anchored(settings.database_url, env_file.parent)
    return settings
