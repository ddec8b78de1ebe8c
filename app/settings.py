"""Settings, read from the environment (prefix GAZETTE_) through get_settings() only."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GAZETTE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///gazette.db",
        description="SQLAlchemy URL of the primary database (sqlite:///… or postgresql://…).",
    )
    database_replica_url: str | None = Field(
        None, description="Optional read replica; public reads go there when set."
    )
    site_url: str = Field(
        "https://www.example.org", description="Public site base URL, used for canonical links."
    )
    site_name: str = Field("Gazette", description="Site name, used in feeds and JSON-LD.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS; ['*'] allows any."
    )
    secret_key: str = Field(
        "change-me-in-production",
        description="Signs preview tokens. Set a long random value in production.",
    )
    max_body_bytes: int = Field(2_000_000, description="Largest request body accepted (413 above).")
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
        4, ge=1, le=200,
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
    webhook_backoff_base_seconds: float = Field(
        10.0, gt=0, description="First retry of a failed webhook delivery after about this long; doubles each time."
    )
    webhook_backoff_max_seconds: float = Field(3600.0, gt=0, description="Longest wait between two tries.")
    webhook_max_age_hours: float = Field(
        24.0, gt=0, description="Deliveries are retried this long, then dead; a subscription failing this long is disabled."
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="How long a receiver has to answer.")

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
