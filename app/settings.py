"""Settings, read from the environment (prefix GAZETTE_) through get_settings() only."""

from functools import lru_cache
from typing import Literal

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GAZETTE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///gazette.db",
        description="SQLAlchemy URL of the primary database (sqlite:///… or postgresql://…).",
    )
    database_replica_url: str | None = Field(None, description="Optional read replica; public reads go there when set.")
    site_url: str = Field("https://www.example.org", description="Public site base URL, used for canonical links.")
    site_name: str = Field("Gazette", description="Site name, used in feeds and JSON-LD.")
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
    secret_key: str = Field(
        "change-me-in-production",
        description="Signs preview tokens. Set a long random value in production.",
    )
    max_body_bytes: int = Field(
        2_000_000,
        description="Largest request body accepted (413 above) by routes without a limit of their "
        "own; POST /v1/import takes up to 200 MB.",
    )
    cache_max_age: int = Field(60, description="Cache-Control max-age of public responses, seconds.")
    cache_stale_while_revalidate: int = Field(30, description="stale-while-revalidate, seconds.")
    cache_stale_if_error: int = Field(86_400, description="stale-if-error, seconds.")
    response_cache_enabled: bool = Field(True, description="Serve public GETs from memory.")
    response_cache_max_bytes: int = Field(64_000_000, description="Bound of the response cache.")
    scheduler_interval_seconds: float = Field(
        5.0, description="How often scheduled articles and webhook deliveries are looked at."
    )
    run_background_jobs: bool = Field(
        True, description="Whether `gazette serve` publishes scheduled articles and delivers webhooks."
    )
    pool_size: int = Field(10, description="Database connections per process (PostgreSQL).")
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
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="How long a receiver has to answer.")
    redis_url: str | None = Field(
        None,
        description="Redis (redis://host:6379/0): rate-limit counters shared by every process; "
        "unset, each process counts in memory on its own.",
    )
    rate_limit_enabled: bool = Field(True, description="Answer 429 past the rate limits (docs/rate-limits.md).")
    rate_limit_per_key: str = Field("1200/minute", description="Requests per API key (a `limits` string).")
    rate_limit_per_address: str = Field(
        "600/minute",
        description="Requests without a key per client address; reads the response cache answers are not counted.",
    )
    rate_limit_failed_auth: str = Field(
        "20/minute",
        description="Requests answered 401 that carried a key, per address; past it every request "
        "from that address that carries a key gets 429.",
    )
    rate_limit_prefix: str = Field("gazette", description="Prefix of the counters' keys in Redis.")

    @field_validator("rate_limit_per_key", "rate_limit_per_address", "rate_limit_failed_auth")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit: write e.g. '600/minute' or '5/2second'") from None
        return value

    access_log: bool = Field(
        False, description="Write one JSON line per request to the logger gazette.access (`serve --access-log`)."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="`gazette serve`'s log lines: text, or one JSON object a line (with request_id)."
    )
    graceful_timeout_seconds: float = Field(
        20.0, ge=0, description="On SIGTERM, how long `gazette serve` lets in-flight requests finish."
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies whose X-Forwarded-For/-Proto are believed (comma-separated, or *)."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
