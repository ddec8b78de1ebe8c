"""The absolute URLs Gazette writes (feeds, ninjs `uri`, `Link`, `Location`) start with the API's
configured public URL (`GAZETTE_API_URL`), never with the `Host` a request came with: a CDN or
proxy may send any, and what it caches must not depend on which it sent."""

from urllib.parse import urlsplit

from starlette.datastructures import URL

from app.settings import get_settings


def api_base() -> str:
    """The API's public base URL, without a trailing slash (`https://api.example.org`)."""
    return get_settings().api_url.rstrip("/")


def public(url: URL, path: str | None = None) -> URL:
    """`url` (a request's) on the configured public base: its path (or `path`) and query kept."""
    base = urlsplit(api_base())
    return url.replace(scheme=base.scheme, netloc=base.netloc, path=base.path + (url.path if path is None else path))
